/**
 * Reads `condor_q -better-analyze <job>`: HTCondor's own answer to "why is this job not running". The tool
 * has no machine-readable form (-json is ignored), so this parses its text: the clauses of the job's
 * Requirements with how many slots match each, the job's values they use, one example slot's values, and
 * the closing summary of how the pool's machines treat the job.
 */

/** One clause of the job's Requirements and how many slots satisfy it. */
export interface MatchClause {
  condition: string;
  matched: number;
}

export interface MatchAnalysis {
  /** Machines the analysis looked at ("Of N machines"). */
  machines: number;
  /** Rejected by the job's Requirements. */
  rejectedByJob: number;
  /** Whose own Requirements (START) reject the job. */
  rejectedBySlots: number;
  /** Match and already run the submitter's jobs. */
  runningYours: number;
  /** Match but serve other users. */
  servingOthers: number;
  /** Able to run the job (by the analysis, which ignores priority and free resources). */
  available: number;
  clauses: MatchClause[];
  /** The job's values as the analysis prints them (e.g. RequestMemory: "64000 (mb)"). */
  jobValues: Record<string, string>;
  /** One slot the analysis shows, with its values (TARGET.Memory: "16384 (mb)"); only for small pools. */
  exampleSlot?: { name: string; values: Record<string, string> };
}

const SUMMARY: [keyof MatchAnalysis, RegExp][] = [
  ['rejectedByJob', /^\s*(\d+) are rejected by your job's requirements/m],
  ['rejectedBySlots', /^\s*(\d+) reject your job because of their own requirements/m],
  ['runningYours', /^\s*(\d+) match and are already running your jobs/m],
  ['servingOthers', /^\s*(\d+) match but are serving other users/m],
  ['available', /^\s*(\d+) are able to run your job/m],
];

/** The analysis in `text`; undefined when it has no run summary (the job left, or the tool failed). */
export function parseMatchAnalysis(text: string): MatchAnalysis | undefined {
  const machines = /Of (\d+) machines,/.exec(text);
  if (!machines) return undefined;
  const a: MatchAnalysis = {
    machines: Number(machines[1]),
    rejectedByJob: 0,
    rejectedBySlots: 0,
    runningYours: 0,
    servingOthers: 0,
    available: 0,
    clauses: parseClauses(text),
    jobValues: valuesAfter(text, /^Job \S+ defines the following attributes:$/m),
  };
  for (const [key, re] of SUMMARY) {
    const m = re.exec(text);
    if (m) (a[key] as number) = Number(m[1]);
  }
  const slot = /^(\S+) has the following attributes:$/m.exec(text);
  if (slot) a.exampleSlot = { name: slot[1] as string, values: valuesAfter(text, slot[0]) };
  return a;
}

/** The rows `[k]  N  condition` of the "reduces to these conditions" table. */
function parseClauses(text: string): MatchClause[] {
  const out: MatchClause[] = [];
  for (const m of text.matchAll(/^\[\d+\]\s+(\d+)\s+(.+?)\s*$/gm))
    out.push({ matched: Number(m[1]), condition: m[2] as string });
  return out;
}

/** The indented `Name = value` lines of the block that follows `heading`. */
function valuesAfter(text: string, heading: RegExp | string): Record<string, string> {
  const values: Record<string, string> = {};
  const at = typeof heading === 'string' ? text.indexOf(heading) : text.search(heading);
  if (at < 0) return values;
  const lines = text.slice(at).split('\n').slice(1);
  for (const line of lines) {
    if (line.trim() === '') {
      if (Object.keys(values).length > 0) break;
      continue;
    }
    const m = /^\s+([A-Za-z_][\w.]*) = (.*)$/.exec(line);
    if (!m) break;
    values[m[1] as string] = (m[2] as string).trim();
  }
  return values;
}
