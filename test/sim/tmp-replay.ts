import { runSeed } from './hunt.js';
await new Promise((r) => setTimeout(r, 1000));
const r = await runSeed(Number(process.argv[2]), { traceAll: true });
console.log(r.trace);
console.log(r.violation);
