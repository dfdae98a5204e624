/**
 * What to do after a failed or held attempt: the first matching rule of spec.retryPolicy, else defaults that
 * follow HTCondor's transient vs permanent hold codes. Pure; unit tested.
 */
import { isMemoryExceededHold, isTransientHold } from '../../condor/job-status.js';
import { HPCJobDefaults, type FailureCategory, type RetryPolicy, type RetryRule } from '../../crds/hpcjob.js';
import { durationMs } from '../../util/units.js';

export interface Failure {
  category: FailureCategory;
  exitCode?: number;
  signal?: number;
  holdCode?: number;
  holdSubCode?: number;
}

export interface Decision {
  action: 'retry' | 'release' | 'fail';
  /** Why, for messages: the rule index or the default that applied. */
  because: string;
  memoryFactor?: number;
}

export function matches(rule: RetryRule, f: Failure): boolean {
  let matchedSomething = false;
  if (rule.onHoldCodes) {
    if (f.holdCode === undefined || !rule.onHoldCodes.includes(f.holdCode)) return false;
    if (rule.onHoldSubCodes && (f.holdSubCode === undefined || !rule.onHoldSubCodes.includes(f.holdSubCode)))
      return false;
    matchedSomething = true;
  }
  if (rule.onExitCodes) {
    if (f.exitCode === undefined || f.category !== 'ExitCode' || !rule.onExitCodes.includes(f.exitCode))
      return false;
    matchedSomething = true;
  }
  if (rule.onSignals) {
    if (f.signal === undefined || !rule.onSignals.includes(f.signal)) return false;
    matchedSomething = true;
  }
  if (rule.onCategories) {
    if (!rule.onCategories.includes(f.category)) return false;
    matchedSomething = true;
  }
  return matchedSomething;
}

export function decide(policy: RetryPolicy | undefined, f: Failure): Decision {
  const rules = policy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as RetryRule;
    if (!matches(rule, f)) continue;
    // A release makes no sense for something that is not held.
    const action = rule.action === 'release' && f.category !== 'Hold' ? 'retry' : rule.action;
    return {
      action,
      because: `retryPolicy.rules[${i}]`,
      ...(rule.memoryFactor ? { memoryFactor: rule.memoryFactor } : {}),
    };
  }
  return defaultDecision(f);
}

function defaultDecision(f: Failure): Decision {
  switch (f.category) {
    case 'Hold':
      if (f.holdCode !== undefined && isTransientHold(f.holdCode, f.holdSubCode)) {
        return { action: 'release', because: `hold code ${f.holdCode} is transient` };
      }
      if (f.holdCode !== undefined && isMemoryExceededHold(f.holdCode, f.holdSubCode)) {
        return {
          action: 'fail',
          because: 'memory exceeded (add a rule with memoryFactor to retry with more)',
        };
      }
      return { action: 'fail', because: `hold code ${f.holdCode ?? '?'} is permanent` };
    case 'Lost':
    case 'StageIn':
    case 'StageOut':
    case 'NoRuntime':
      return { action: 'retry', because: `${f.category} is retried by default` };
    default:
      return { action: 'fail', because: `${f.category} fails by default` };
  }
}

/** Delay before retry number `n` (1-based): initial × factor^(n-1), capped, with ±25 % jitter. */
export function backoffMs(policy: RetryPolicy | undefined, n: number, random: () => number): number {
  const initial = durationMs(policy?.backoff?.initial ?? HPCJobDefaults.backoffInitial);
  const max = durationMs(policy?.backoff?.max ?? HPCJobDefaults.backoffMax);
  const factor = policy?.backoff?.factor ?? HPCJobDefaults.backoffFactor;
  const base = Math.min(max, initial * factor ** Math.max(0, n - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}
