/**
 * kubectl's JSONPath templates (`-o jsonpath='{.items[*].metadata.name}'`,
 * `{range .items[*]}{.metadata.name}{"\n"}{end}`): text with `{...}` actions. What kubectl documents is
 * here: fields (`.a`, `['a']`), `*`, indices (negative too), `[*]`, recursive descent `..a`, filters
 * `[?(@.a == "x")]` (==, !=, <, <=, >, >=, or existence), string literals, range/end. Several results of one
 * action print space-separated; a missing key prints nothing (kubectl's --allow-missing-template-keys).
 */
import { UsageError } from './args.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'all' }
  | { kind: 'index'; index: number }
  | { kind: 'recurse'; name: string }
  | { kind: 'filter'; path: Step[]; op?: string; value?: unknown };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: Step[] }
  | { kind: 'range'; path: Step[]; body: Node[] };

/** Renders `template` over `data`; a malformed template is a UsageError naming what is wrong. */
export function jsonpath(template: string, data: unknown): string {
  const nodes = parseTemplate(template);
  return render(nodes, data);
}

function render(nodes: Node[], current: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'path') out += evaluate(n.path, current).map(show).join(' ');
    else for (const item of evaluate(n.path, current)) out += render(n.body, item);
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const top = () => stack[stack.length - 1] as Node[];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      top().push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top().push({ kind: 'text', text: template.slice(i, open) });
    const close = actionEnd(template, open);
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      if (stack.length === 1) throw bad(template, '{end} without {range}');
      stack.pop();
    } else if (action.startsWith('range ')) {
      const body: Node[] = [];
      top().push({ kind: 'range', path: parsePath(action.slice(6).trim(), template), body });
      stack.push(body);
    } else if (/^"(?:[^"\\]|\\.)*"$/.test(action)) {
      top().push({ kind: 'text', text: JSON.parse(action) as string });
    } else top().push({ kind: 'path', path: parsePath(action, template) });
  }
  if (stack.length > 1) throw bad(template, '{range} without {end}');
  return root;
}

/** The index of the `}` closing the action at `open`, skipping quoted strings and filter brackets. */
function actionEnd(t: string, open: number): number {
  let quote: string | undefined;
  for (let j = open + 1; j < t.length; j++) {
    const c = t[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return j;
  }
  throw bad(t, 'unclosed {');
}

function bad(template: string, why: string): UsageError {
  return new UsageError(`-o jsonpath: ${why} in ${JSON.stringify(template)}`);
}

const FIELD = /^[A-Za-z0-9_$-]+/;

function parsePath(expr: string, template: string): Step[] {
  let rest = expr.replace(/^[$@]/, '');
  const steps: Step[] = [];
  while (rest !== '') {
    let m: RegExpExecArray | null;
    if ((m = /^\.\.([A-Za-z0-9_-]+)/.exec(rest))) steps.push({ kind: 'recurse', name: m[1] as string });
    else if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) steps.push({ kind: 'all' });
    else if ((m = /^\.([A-Za-z0-9_$-]+)/.exec(rest))) steps.push({ kind: 'field', name: m[1] as string });
    else if ((m = /^\[['"]([^'"]*)['"]\]/.exec(rest))) steps.push({ kind: 'field', name: m[1] as string });
    else if ((m = /^\[(-?[0-9]+)\]/.exec(rest))) steps.push({ kind: 'index', index: Number(m[1]) });
    else if ((m = /^\[\?\((.*?)\)\]/.exec(rest))) steps.push(parseFilter(m[1] as string, template));
    else if (steps.length === 0 && (m = FIELD.exec(rest))) steps.push({ kind: 'field', name: m[0] });
    else throw bad(template, `cannot read ${JSON.stringify(rest)}`);
    rest = rest.slice(m[0].length);
  }
  return steps;
}

function parseFilter(body: string, template: string): Step {
  const m = /^(@[^\s=!<>]*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(body.trim());
  if (!m) throw bad(template, `cannot read the filter ${JSON.stringify(body)}`);
  const path = parsePath(m[1] as string, template);
  if (!m[2]) return { kind: 'filter', path };
  const raw = (m[3] as string).trim();
  const value: unknown = /^['"].*['"]$/.test(raw) ? raw.slice(1, -1) : Number(raw);
  return { kind: 'filter', path, op: m[2], value };
}

function evaluate(path: Step[], current: unknown): unknown[] {
  let values = [current];
  for (const step of path) values = values.flatMap((v) => apply(step, v));
  return values;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v !== null && typeof v === 'object' ? Object.values(v) : [];
}

function apply(step: Step, v: unknown): unknown[] {
  switch (step.kind) {
    case 'field':
      return v !== null && typeof v === 'object' && !Array.isArray(v) && step.name in v
        ? [(v as Record<string, unknown>)[step.name]]
        : [];
    case 'all':
      return children(v);
    case 'index': {
      if (!Array.isArray(v)) return [];
      const i = step.index < 0 ? v.length + step.index : step.index;
      return i >= 0 && i < v.length ? [v[i]] : [];
    }
    case 'recurse':
      return descendants(v).flatMap((d) => apply({ kind: 'field', name: step.name }, d));
    case 'filter':
      return children(v).filter((item) => matches(step, item));
  }
}

function descendants(v: unknown): unknown[] {
  return [v, ...children(v).flatMap(descendants)];
}

function matches(f: Extract<Step, { kind: 'filter' }>, item: unknown): boolean {
  const found = evaluate(f.path, item);
  if (!f.op) return found.length > 0;
  return found.some((x) => compare(x, f.op as string, f.value));
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==') return a === b || String(a) === String(b);
  if (op === '!=') return !(a === b || String(a) === String(b));
  const x = typeof a === 'number' ? a : Number(a);
  const y = typeof b === 'number' ? b : Number(b);
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}
