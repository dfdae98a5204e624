/**
 * The Argo CD health checks in gitops/argocd (resource_customizations layout) run by real Lua interpreters:
 * every case of each kind's health_test.yaml (Argo CD's own test format) through test/unit/argocd-health/
 * harness.lua, with lua5.1 (the language of Argo CD's gopher-lua) and lua5.4 (Debian packages, installed by
 * .ci/run). And the argocd-cm snippet carries exactly those scripts.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARGOCD = join(REPO, 'gitops/argocd');
const CUSTOMIZATIONS = join(ARGOCD, 'hpc.scailfin.io');
const HARNESS = join(REPO, 'test/unit/argocd-health/harness.lua');
const INTERPRETERS = ['lua5.1', 'lua5.4'];

interface HealthCase {
  inputPath: string;
  healthStatus: { status: string; message: string };
}

/** A JSON value as a Lua table constructor (what Argo CD hands the script as obj). */
function toLua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    // Decimal escapes for everything but printable ASCII: valid in every Lua version.
    let out = '"';
    for (const ch of Buffer.from(v, 'utf8')) {
      out += ch >= 0x20 && ch < 0x7f && ch !== 0x22 && ch !== 0x5c ? String.fromCharCode(ch) : `\\${ch}`;
    }
    return out + '"';
  }
  if (Array.isArray(v)) return `{${v.map(toLua).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${toLua(k)}] = ${toLua(x)}`)
    .join(', ')}}`;
}

function health(lua: string, script: string, obj: unknown): { status: string; message: string } {
  const out = execFileSync(lua, [HARNESS, script], { input: toLua(obj), encoding: 'utf8' });
  const nl = out.indexOf('\n');
  return { status: out.slice(0, nl), message: out.slice(nl + 1) };
}

const kinds = readdirSync(CUSTOMIZATIONS);

describe('Argo CD health checks', () => {
  it('exist for every custom resource, in the resource_customizations layout', () => {
    expect(kinds.sort()).toEqual(['HPCJob', 'HPCJobSet', 'VirtualCluster']);
    for (const kind of kinds) {
      const tests = parse(readFileSync(join(CUSTOMIZATIONS, kind, 'health_test.yaml'), 'utf8')) as {
        tests: HealthCase[];
      };
      // Every testdata object is a case, so no sample is left unchecked.
      expect(tests.tests.map((t) => t.inputPath).sort()).toEqual(
        readdirSync(join(CUSTOMIZATIONS, kind, 'testdata'))
          .map((f) => `testdata/${f}`)
          .sort(),
      );
    }
  });

  it('cover every status a person reads from kubectl', () => {
    const statuses = (kind: string) =>
      new Set(
        (
          parse(readFileSync(join(CUSTOMIZATIONS, kind, 'health_test.yaml'), 'utf8')) as {
            tests: HealthCase[];
          }
        ).tests.map((t) => t.healthStatus.status),
      );
    expect([...statuses('HPCJob')].sort()).toEqual(['Degraded', 'Healthy', 'Progressing', 'Suspended']);
    expect([...statuses('VirtualCluster')].sort()).toEqual(['Degraded', 'Healthy', 'Progressing']);
    expect([...statuses('HPCJobSet')].sort()).toEqual(['Degraded', 'Healthy', 'Progressing', 'Suspended']);
  });

  for (const lua of INTERPRETERS) {
    for (const kind of kinds) {
      const dir = join(CUSTOMIZATIONS, kind);
      const { tests } = parse(readFileSync(join(dir, 'health_test.yaml'), 'utf8')) as {
        tests: HealthCase[];
      };
      it.each(tests.map((t) => [t.inputPath, t] as const))(`${lua}: ${kind} %s`, (_path, t) => {
        const obj = parse(readFileSync(join(dir, t.inputPath), 'utf8')) as unknown;
        expect(health(lua, join(dir, 'health.lua'), obj)).toEqual(t.healthStatus);
      });
    }
  }

  it('the harness passes strings through Lua unchanged (quotes, backslashes, newlines, UTF-8)', () => {
    const message = 'line "one"\\\nline two: é ✓';
    const got = health('lua5.4', join(CUSTOMIZATIONS, 'HPCJob', 'health.lua'), {
      metadata: { generation: 1 },
      status: { phase: 'Succeeded', message },
    });
    expect(got).toEqual({ status: 'Healthy', message });
  });

  it('argocd-cm carries the same scripts as the resource_customizations files', () => {
    const cm = parse(readFileSync(join(ARGOCD, 'argocd-cm.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    for (const kind of kinds) {
      // If this fails, regenerate the snippet from health.lua (each line indented by four spaces).
      expect(cm.data[`resource.customizations.health.hpc.scailfin.io_${kind}`]).toBe(
        readFileSync(join(CUSTOMIZATIONS, kind, 'health.lua'), 'utf8'),
      );
    }
  });
});
