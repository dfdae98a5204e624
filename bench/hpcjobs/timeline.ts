/**
 * A timeline of a long benchmark phase: every `everyMs`, one line with what `sample` reads (counts so far)
 * and the CPU each component used since the line before, so a slow phase shows which part held it up when.
 */
import { cpuShare, cpuSnapshot, type CpuSnapshot } from './cpu-share.js';

export function startTimeline(
  label: string,
  operatorPid: number | undefined,
  sample: () => Promise<Record<string, number>>,
  everyMs = 15_000,
): () => void {
  const t0 = Date.now();
  let last: CpuSnapshot = cpuSnapshot(operatorPid);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void sample()
      .then((values) => {
        const now = cpuSnapshot(operatorPid);
        const cpu = cpuShare(last, now);
        last = now;
        const t = Math.round((Date.now() - t0) / 1000);
        console.log(
          `    ${label} t=${t}s ${JSON.stringify({ ...values, busy: cpu.busy, cpu: cpu.seconds })}`,
        );
      })
      .catch((e: unknown) => console.log(`    ${label}: sample failed: ${String(e)}`))
      .finally(() => (busy = false));
  }, everyMs);
  return () => clearInterval(timer);
}
