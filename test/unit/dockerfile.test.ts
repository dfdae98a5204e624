/**
 * The Dockerfile, checked without a container engine: hadolint (hack/tools/install-hadolint.sh puts it in
 * .cache/bin) and the invariants that matter here, read from the parsed instructions: pinned base images of
 * the local stack's Debian release, no remote ADD, a numeric non-root USER that config/manager runs as, and
 * the same build and run steps as `make build` / `make run`.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions: comments dropped, backslash continuations joined (the default escape). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) return; // comments (and parser directives) never continue an instruction
    if (current === undefined) {
      if (line.trim() === '') return;
      current = { text: '', line: i + 1 };
    }
    const continued = line.endsWith('\\');
    current.text += (continued ? line.slice(0, -1) : line) + ' ';
    if (!continued) {
      const m = /^\s*(\S+)\s*(.*)$/.exec(current.text.trim()) as RegExpExecArray;
      out.push({
        keyword: (m[1] as string).toUpperCase(),
        args: (m[2] as string).trim(),
        line: current.line,
      });
      current = undefined;
    }
  });
  return out;
}

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args) as RegExpExecArray;
      out.push({ from: m[1] as string, name: m[2], instructions: [] });
    } else out.at(-1)?.instructions.push(ins);
  }
  return out;
}

/** The shell commands of a RUN, split at && and ;. */
function commands(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.keyword === 'RUN')
    .flatMap((i) => i.args.split(/&&|;/))
    .map((c) => c.replace(/\s+/g, ' ').trim());
}

/** The recipe lines of a Makefile target. */
function recipe(makefile: string, target: string): string[] {
  const lines = makefile.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${target}:`));
  expect(start).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('\t')) break;
    out.push(l.trim());
  }
  return out;
}

function hadolint(): string | undefined {
  const cached = join(REPO, '.cache/bin/hadolint');
  if (existsSync(cached)) return cached;
  try {
    return execFileSync('sh', ['-c', 'command -v hadolint'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const all = stages(instructions);
const build = all[0] as Stage;
const final = all.at(-1) as Stage;
const makefile = readFileSync(join(REPO, 'Makefile'), 'utf8');
const deployment = parseAllDocuments(readFileSync(join(REPO, 'config/manager/manager.yaml'), 'utf8'))
  .map((d) => d.toJS() as { kind: string; spec: DeploymentSpec })
  .find((o) => o.kind === 'Deployment') as { spec: DeploymentSpec };

interface DeploymentSpec {
  template: {
    spec: {
      securityContext: { runAsUser: number; runAsGroup: number };
      containers: {
        name: string;
        env: { name: string; value?: string }[];
        ports: { containerPort: number }[];
      }[];
    };
  };
}

describe('Dockerfile', () => {
  it('passes hadolint', () => {
    const bin = hadolint();
    if (!bin) throw new Error('hadolint not found: run hack/tools/install-hadolint.sh (.ci/run does)');
    // hadolint exits non-zero on any finding at or above "info" (its default threshold).
    expect(execFileSync(bin, ['--no-color', join(REPO, 'Dockerfile')], { encoding: 'utf8' })).toBe('');
  });

  it('the parser sees the stages and instructions (so the checks below look at something)', () => {
    expect(all.map((s) => s.name)).toEqual(['build', undefined]);
    expect(final.instructions.map((i) => i.keyword)).toEqual(
      expect.arrayContaining(['RUN', 'WORKDIR', 'COPY', 'ENV', 'USER', 'EXPOSE', 'ENTRYPOINT']),
    );
  });

  it('builds from pinned Debian 13 images, the release of the local stack root', () => {
    expect(readFileSync(join(REPO, 'hack/build-rootfs.sh'), 'utf8')).toMatch(/debootstrap .*\btrixie\b/);
    for (const s of all) {
      // debian:13.N-slim: a point release, never a moving tag such as latest, trixie or 13; pinned by digest
      // once hack/pin-base-images.sh has run where a registry answers.
      expect(s.from).toMatch(/^debian:13\.\d+-slim(@sha256:[a-f0-9]{64})?$/);
    }
    expect(new Set(all.map((s) => s.from)).size).toBe(1);
  });

  it('never ADDs (no remote URLs, no auto-extraction); COPY only from the context or the build stage', () => {
    expect(instructions.filter((i) => i.keyword === 'ADD')).toEqual([]);
    for (const i of instructions.filter((x) => x.keyword === 'COPY')) {
      expect(i.args).not.toMatch(/https?:\/\//);
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      if (from) expect(from).toBe('build');
    }
  });

  it('runs on the pinned Node.js 24 of hack/install-node.sh, and the HTCondor client tools from Debian', () => {
    const install = commands(final).find((c) => c.startsWith('apt-get install'));
    expect(install?.split(' ')).toEqual(expect.arrayContaining(['--no-install-recommends', 'htcondor']));
    // No Debian nodejs (Node 20) in the image: the one node is the pinned binary the build stage fetched.
    expect(install?.split(' ')).not.toContain('nodejs');
    expect(commands(build)).toContain('hack/install-node.sh /opt/node');
    const path = build.instructions.find((i) => i.keyword === 'ENV' && i.args.startsWith('PATH='));
    expect(path?.args).toBe('PATH=/opt/node/bin:$PATH');
    // Set before npm ci and tsc run, so the build runs on Node 24 as make and CI do.
    const at = (pred: (i: Instruction) => boolean) => build.instructions.findIndex(pred);
    expect(at((i) => i === path)).toBeLessThan(at((i) => i.args.startsWith('npm ci')));
    expect(final.instructions.map((i) => i.args)).toContain(
      '--from=build /opt/node/bin/node /usr/local/bin/node',
    );
    // Debian's nodejs and npm in the build stage only run npm (to fetch Node.js 24, then npm ci).
    expect(
      commands(build)
        .find((c) => c.startsWith('apt-get install'))
        ?.split(' '),
    ).toEqual(expect.arrayContaining(['nodejs', 'npm']));
  });

  it('runs as the numeric non-root user that config/manager sets', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] as Instruction).args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    const pod = deployment.spec.template.spec;
    expect([uid, gid]).toEqual([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]);
    // The user exists in the image with that uid (tools that look up the user name find it).
    expect(commands(final).some((c) => c.includes(`useradd`) && c.includes(`--uid ${uid}`))).toBe(true);
    // USER comes after every RUN: nothing at run time is root.
    const last = final.instructions.map((i) => i.keyword);
    expect(last.lastIndexOf('RUN')).toBeLessThan(last.indexOf('USER'));
  });

  it('builds and runs with the same steps as make build and make run', () => {
    // make deps runs npm ci; make build runs tsc on tsconfig.build.json; make run runs node dist/main.js.
    expect(makefile).toMatch(/^node_modules\/\.stamp:.*\n\tnpm ci --no-audit --no-fund$/m);
    expect(recipe(makefile, 'build')).toEqual(['node_modules/.bin/tsc -p tsconfig.build.json']);
    expect(recipe(makefile, 'run')).toEqual(['node dist/main.js']);
    const steps = commands(build);
    expect(steps).toContain('npm ci --no-audit --no-fund');
    expect(steps).toContain('node_modules/.bin/tsc -p tsconfig.build.json');
    const entry = final.instructions.find((i) => i.keyword === 'ENTRYPOINT') as Instruction;
    expect(JSON.parse(entry.args)).toEqual(['node', 'dist/main.js']);
  });

  it('ships dist/ and the job wrapper where the operator looks for them', () => {
    const workdir = final.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args as string;
    const copies = final.instructions
      .filter((i) => i.keyword === 'COPY')
      .map((i) => i.args.replace(/--\S+\s+/g, '').split(/\s+/))
      .map((parts) => ({ src: parts[0] as string, dst: posix.resolve(workdir, parts.at(-1) as string) }));
    expect(copies).toEqual(
      expect.arrayContaining([
        { src: '/src/dist', dst: posix.join(workdir, 'dist') },
        // src/manager.ts defaultWrapperPath(): ../wrapper/hpc-wrapper.sh from dist/manager.js.
        {
          src: 'wrapper/hpc-wrapper.sh',
          dst: posix.resolve(workdir, 'dist', '..', 'wrapper/hpc-wrapper.sh'),
        },
      ]),
    );
    expect(readFileSync(join(REPO, 'src/manager.ts'), 'utf8')).toContain("'../wrapper/hpc-wrapper.sh'");
  });

  it('agrees with the Deployment on CONDOR_CONFIG and the ports', () => {
    const manager = deployment.spec.template.spec.containers.find((c) => c.name === 'manager');
    const env = final.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    const condorConfig = manager?.env.find((e) => e.name === 'CONDOR_CONFIG')?.value as string;
    expect(env).toContain(`CONDOR_CONFIG=${condorConfig}`);
    const exposed = final.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed.sort()).toEqual(manager?.ports.map((p) => p.containerPort).sort());
  });

  it('.dockerignore lets in what the Dockerfile copies from the context, and nothing of .stack or .cache', () => {
    const rules = readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const allowed = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/$/, ''));
    const fromContext = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const src of fromContext) {
      expect(allowed.some((a) => src.replace(/^\.\//, '').replace(/\/$/, '') === a)).toBe(true);
      expect(existsSync(join(REPO, src))).toBe(true);
    }
    expect(allowed.some((a) => a.startsWith('.stack') || a.startsWith('.cache'))).toBe(false);
  });

  it('labels the image with the OCI annotations, its version the package version', () => {
    const labels = Object.fromEntries(
      final.instructions
        .filter((i) => i.keyword === 'LABEL')
        .flatMap((i) => [...i.args.matchAll(/(\S+?)="([^"]*)"/g)])
        .map((m) => [m[1], m[2]]),
    );
    const oci = (k: string) => labels[`org.opencontainers.image.${k}`];
    for (const k of ['title', 'description', 'source', 'vendor', 'licenses'])
      expect([k, (oci(k) ?? '').length > 0]).toEqual([k, true]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    expect(oci('licenses')).toBe(pkg.license);
    expect([oci('version'), oci('revision'), oci('created')]).toEqual([
      '${VERSION}',
      '${REVISION}',
      '${CREATED}',
    ]);
    const args = final.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args);
    expect(args).toEqual([`VERSION=${pkg.version}`, 'REVISION=unknown', 'CREATED=unknown']);
    expect(oci('base.name')).toBe(`docker.io/library/${final.from.split('@')[0]}`);
  });

  it('hack/pin-base-images.sh pins every FROM by digest, re-pins, and stays hadolint clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pin-'));
    const copy = join(dir, 'Dockerfile');
    writeFileSync(copy, dockerfile);
    mkdirSync(join(dir, 'bin'));
    // A stand-in for crane (no registry here): the script's own rewriting is what is under test.
    const crane = (digit: string) =>
      writeFileSync(join(dir, 'bin/crane'), `#!/bin/sh\necho sha256:${digit.repeat(64)}\n`, { mode: 0o755 });
    const pin = () =>
      execFileSync(join(REPO, 'hack/pin-base-images.sh'), [copy], {
        encoding: 'utf8',
        env: { ...process.env, HPC_DIGEST_TOOL: 'crane', PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
      });
    crane('a');
    expect(pin()).toBe(`${build.from.split('@')[0]} -> sha256:${'a'.repeat(64)}\n`);
    crane('b');
    pin();
    const pinned = stages(parseDockerfile(readFileSync(copy, 'utf8')));
    expect(pinned.map((s) => [s.from, s.name])).toEqual(
      all.map((s) => [`${s.from.split('@')[0]}@sha256:${'b'.repeat(64)}`, s.name]),
    );
    const bin = hadolint();
    if (!bin) throw new Error('hadolint not found: run hack/tools/install-hadolint.sh (.ci/run does)');
    expect(execFileSync(bin, ['--no-color', copy], { encoding: 'utf8' })).toBe('');
    expect(() =>
      execFileSync(join(REPO, 'hack/pin-base-images.sh'), [copy], {
        stdio: 'pipe',
        env: { ...process.env, HPC_DIGEST_TOOL: 'none' },
      }),
    ).toThrow(/no docker buildx, crane or skopeo/);
  });
});
