import { drawPlan } from './plan.js';
import { Prng } from './prng.js';
import { runSchedule } from './schedule.js';
const n = Number(process.argv[2] ?? 50);
const t = Date.now();
let steps = 0, fails = 0;
for (let seed = 1; seed <= n; seed++) {
  const r = await runSchedule(drawPlan(seed, new Prng(seed)));
  steps += r.steps;
  if (r.violation) { fails++; console.log(seed, r.violation.invariant, r.violation.message.slice(0, 300)); }
}
const ms = Date.now() - t;
console.log(`${n} schedules in ${ms} ms: ${(n / ms * 1000).toFixed(1)}/s, ${steps / n} steps avg, ${(ms * 1000 / steps).toFixed(1)} us/step, fails ${fails}`);
