import { drawPlan } from './plan.js';
import { Prng } from './prng.js';
import { runSchedule } from './schedule.js';
const seed = Number(process.argv[2] ?? 1);
const t = Date.now();
const r = await runSchedule(drawPlan(seed, new Prng(seed)), { traceAll: process.argv[3] === 'trace' });
console.log(r.violation ? `FAIL ${r.violation.invariant}: ${r.violation.message}` : 'ok', r.steps, r.virtualMs / 60000, Date.now() - t, 'ms');
if (r.violation || process.argv[3]) console.log(r.trace.split('\n').slice(-80).join('\n'));
