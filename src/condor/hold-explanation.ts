/**
 * Everything known about one hold, from the table in hold-codes.ts. Whether the operator releases a hold by
 * itself comes from isTransientHold, so an explanation can never disagree with the reconciler.
 */
import { ERRNO, HOLD_CODES, type HoldCodeInfo, type SubCodeInfo } from './hold-codes.js';
import { isMemoryExceededHold, isTransientHold } from './job-status.js';

export interface HoldExplanation {
  code: number;
  subCode?: number;
  /** False for a code the table does not have. */
  known: boolean;
  name: string;
  meaning: string;
  advice: string;
  subCodeName?: string;
  subCodeMeaning?: string;
  /** The operator releases such holds by itself (without a retryPolicy rule saying otherwise). */
  transient: boolean;
  memoryExceeded: boolean;
}

/** Everything the table knows about one hold. */
export function explainHoldCode(code: number, subCode?: number): HoldExplanation {
  const info = HOLD_CODES.get(code);
  const out: HoldExplanation = {
    code,
    ...(subCode !== undefined ? { subCode } : {}),
    known: info !== undefined,
    name: info?.name ?? `HoldCode${code}`,
    meaning:
      info?.meaning ?? 'A hold code this table does not know (newer HTCondor, or set by a site policy).',
    advice:
      info?.advice ??
      'Read the hold reason, and the HTCondor manual\'s "Hold Reason Codes" table for this code.',
    transient: isTransientHold(code, subCode),
    memoryExceeded: isMemoryExceededHold(code, subCode),
  };
  if (subCode === undefined || subCode === 0) return out;
  const sub = subCodeInfo(info, subCode);
  if (sub) {
    out.subCodeName = sub.name;
    out.subCodeMeaning = sub.meaning;
    if (sub.advice) out.advice = sub.advice;
  }
  return out;
}

function subCodeInfo(info: HoldCodeInfo | undefined, subCode: number): SubCodeInfo | undefined {
  const listed = info?.subCodes?.[subCode];
  if (listed) return listed;
  switch (info?.subCodeKind) {
    case 'errno':
      return ERRNO[subCode];
    case 'transfer':
      // File-transfer plugins: 62 when one timed out, else the plugin's exit status shifted left by 8.
      if (subCode === 62) return { name: 'PluginTimeout', meaning: 'a file-transfer plugin timed out' };
      if (subCode >= 256) {
        return {
          name: `PluginExit${subCode >> 8}`,
          meaning: `a file-transfer plugin exited with status ${subCode >> 8}`,
        };
      }
      return ERRNO[subCode];
    case 'policy':
      return { name: `Policy${subCode}`, meaning: 'a value chosen by the policy that held the job' };
    default:
      return undefined;
  }
}

/** "47 (JobExecuteExceeded)" or "13/2 (TransferInputError, ENOENT)". */
export function holdLabel(code: number, subCode?: number): string {
  const e = explainHoldCode(code, subCode);
  const sub = subCode !== undefined && subCode !== 0 ? `/${subCode}` : '';
  return `${code}${sub} (${e.name}${e.subCodeName ? `, ${e.subCodeName}` : ''})`;
}
