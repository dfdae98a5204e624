import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ManualClock } from '../../test/support/manual-clock.js';
import {
  Controller,
  TerminalError,
  requeueAfter,
  type ReconcileContext,
  type Reconciler,
} from './controller.js';
import { ApiError } from './kube-api.js';
import { Metrics } from './metrics.js';

function setup(reconcile: Reconciler, workers = 1) {
  const clock = new ManualClock(0);
  const metrics = new Metrics({ defaultMetrics: false });
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const controller = new Controller({ name: 'jobs', reconcile, workers, log, metrics, clock });
  return { clock, metrics, lines, controller };
}

async function total(metrics: Metrics, name: string, result?: string): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.controller === 'jobs' && (!result || v.labels.result === result))
    ?.value;
}

/** Times (clock) at which each key was reconciled. */
function recording(fn: (key: string, n: number) => ReturnType<Reconciler>) {
  const calls: [string, number][] = [];
  let clock: ManualClock | undefined;
  const reconcile: Reconciler = (key) => {
    calls.push([key, clock?.now() ?? -1]);
    return fn(key, calls.filter(([k]) => k === key).length);
  };
  return { calls, reconcile, bind: (c: ManualClock) => (clock = c) };
}

describe('Controller', () => {
  it('requeues after the asked delay and counts success and requeue_after (controller-runtime names)', async () => {
    const r = recording(async (_key, n) => (n === 1 ? requeueAfter(30_000) : undefined));
    const { clock, metrics, controller } = setup(r.reconcile);
    r.bind(clock);
    controller.start();
    controller.queue.add('n/a');
    await clock.advanceAsync(29_999);
    expect(r.calls).toEqual([['n/a', 0]]);
    await clock.advanceAsync(1);
    expect(r.calls).toEqual([
      ['n/a', 0],
      ['n/a', 30_000],
    ]);
    expect(await total(metrics, 'controller_runtime_reconcile_total', 'requeue_after')).toBe(1);
    expect(await total(metrics, 'controller_runtime_reconcile_total', 'success')).toBe(1);
    // Durations come from the injected clock: two reconciles that took no (virtual) time.
    const hist = await metrics.reconcileTime.get();
    const series = (suffix: string) => hist.values.find((v) => v.metricName?.endsWith(suffix))?.value;
    expect([series('_count'), series('_sum')]).toEqual([2, 0]);
    await controller.stop();
  });

  it('runs a timer requeue after the changes that came meanwhile (low priority), a change at once', async () => {
    const gate: { open?: () => void } = {};
    const r = recording(async (key, n) => {
      if (key === 'n/busy' && n === 1) await new Promise<void>((resolve) => (gate.open = resolve));
      return key === 'n/timer' && n === 1 ? requeueAfter(100) : undefined;
    });
    const { clock, controller } = setup(r.reconcile);
    r.bind(clock);
    controller.start();
    controller.queue.add('n/timer');
    await clock.advanceAsync(1);
    controller.queue.add('n/busy'); // holds the one worker while the timer fires and a change comes
    await clock.advanceAsync(1);
    await clock.advanceAsync(100);
    controller.queue.add('n/change');
    gate.open?.();
    await clock.advanceAsync(1);
    expect(r.calls.map(([k]) => k)).toEqual(['n/timer', 'n/busy', 'n/change', 'n/timer']);
    await controller.stop();
  });

  it('retries errors with per-key exponential backoff and resets it after a success', async () => {
    const r = recording(async (_key, n) => {
      if (n <= 3) throw new Error('schedd unreachable');
    });
    const { clock, metrics, controller } = setup(r.reconcile);
    r.bind(clock);
    controller.start();
    controller.queue.add('n/a');
    await clock.advanceAsync(1_000);
    expect(r.calls.map(([, t]) => t)).toEqual([0, 5, 15, 35]); // 5 ms, 10 ms, 20 ms
    expect(controller.queue.numRequeues('n/a')).toBe(0);
    expect(await total(metrics, 'controller_runtime_reconcile_errors_total')).toBe(3);
    await controller.stop();
  });

  it('keeps 409 conflicts a quiet rate-limited retry, never a fixed requeue', async () => {
    const r = recording(async (_key, n) => {
      if (n <= 5) throw new ApiError(409, 'the object has been modified');
    });
    const { clock, lines, controller } = setup(r.reconcile);
    r.bind(clock);
    controller.start();
    controller.queue.add('n/a');
    await clock.advanceAsync(1_000);
    expect(r.calls.map(([, t]) => t)).toEqual([0, 5, 15, 35, 75, 155]);
    const failures = lines.filter((l) => l.msg === 'reconcile failed; requeued with backoff');
    expect(failures).toHaveLength(5);
    expect(failures.every((l) => l.level === 20)).toBe(true); // debug
    await controller.stop();
  });

  it('does not retry a TerminalError, also when wrapped', async () => {
    const r = recording(async (key) => {
      if (key === 'n/a') throw new TerminalError('invalid spec');
      throw new Error('could not submit', { cause: new TerminalError('invalid spec') });
    });
    const { clock, metrics, controller } = setup(r.reconcile);
    r.bind(clock);
    controller.start();
    controller.queue.add('n/a');
    controller.queue.add('n/b');
    await clock.advanceAsync(60_000);
    expect(r.calls).toEqual([
      ['n/a', 0],
      ['n/b', 0],
    ]);
    expect(await total(metrics, 'controller_runtime_terminal_reconcile_errors_total')).toBe(2);
    await controller.stop();
  });

  it('aborts the signal on stop and waits for the reconcile in flight', async () => {
    let ctx: ReconcileContext | undefined;
    let finish: (() => void) | undefined;
    const { clock, controller } = setup(
      (_key, c) =>
        new Promise((resolve) => {
          ctx = c;
          finish = () => resolve(undefined);
        }),
    );
    controller.start();
    controller.queue.add('n/a');
    await clock.advanceAsync(0);
    expect(ctx?.signal.aborted).toBe(false);
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await clock.advanceAsync(0);
    expect(ctx?.signal.aborted).toBe(true);
    expect(stopped).toBe(false);
    finish?.();
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});
