/**
 * While a schedule runs, real time and real chance are off limits to the code under simulation: the
 * operator must take both from its Clock and Random (src/runtime/clock.ts). This guard replaces the global
 * timers, Date.now and Math.random for the duration of a run and reports the first use (with its stack) as a
 * violation; the call still goes through, so the run can finish and show where it came from.
 */
type Report = (invariant: string, message: string) => void;

export function guardRealTime(report: Report): () => void {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { setTimeout, setInterval, dateNow: Date.now, random: Math.random };
  const flag =
    <A extends unknown[], R>(name: string, real: (...a: A) => R) =>
    (...a: A): R => {
      const where = (new Error().stack ?? '').split('\n').slice(2, 8).join('\n');
      report(
        'no-real-time',
        `the code under simulation called ${name}; use the injected Clock/Random instead:\n${where}`,
      );
      return real(...a);
    };
  // Node turns an unhandled rejection into a crash; in the simulation it is a violation of its own.
  const rejected = (reason: unknown): void =>
    report(
      'no-unhandled-rejection',
      `a promise rejection nobody handled: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  process.on('unhandledRejection', rejected);
  g.setTimeout = flag('setTimeout', saved.setTimeout);
  g.setInterval = flag('setInterval', saved.setInterval);
  Date.now = flag('Date.now', saved.dateNow);
  Math.random = flag('Math.random', saved.random);
  return () => {
    process.off('unhandledRejection', rejected);
    g.setTimeout = saved.setTimeout;
    g.setInterval = saved.setInterval;
    Date.now = saved.dateNow;
    Math.random = saved.random;
  };
}
