import { drawPlan } from '/work/wt-sim/test/sim/plan.js';
import { Prng } from '/work/wt-sim/test/sim/prng.js';
import { runSchedule } from '/work/wt-sim/test/sim/schedule.js';
const seed = Number(process.argv[2] ?? 1);
const r = await runSchedule(drawPlan(seed, new Prng(seed)), { traceAll: true });
console.log(r.violation ? `FAIL ${r.violation.invariant}: ${r.violation.message}` : 'ok', r.steps);
console.log(r.trace);
