/**
 * Operator settings from command-line flags, with HPCOP_* environment variables as fallback and explicit
 * defaults. `--flag=value` and `--flag value` both work; unknown flags are an error.
 */

import { FLAGS, type FlagSpec, type OperatorConfig } from './config-flags.js';
import { SPREAD_POLICIES, type SpreadPolicy } from './controllers/hpcjob/spread.js';
import { GPU_DISCOVERY_OPTIONS } from './sites/pilot.js';

export { FLAGS, type OperatorConfig };

export class ConfigError extends Error {}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = FLAGS[name];
    if (!spec) throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (spec.kind === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))
      value = 'true';
    else {
      const next = argv[++i];
      if (next === undefined) throw new ConfigError(`--${name} needs a value`);
      value = next;
    }
    raw.set(name, value);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = raw.get(name) ?? env[spec.env] ?? spec.default;
    out[spec.key] = convert(name, spec, value);
  }
  const config = out as unknown as OperatorConfig;
  config.leaderElectionId ||= leaseNameFor(config.operatorId);
  if (config.leaderElectRenewDeadlineSeconds >= config.leaderElectLeaseDurationSeconds)
    throw new ConfigError(
      '--leader-elect-renew-deadline-seconds must be below --leader-elect-lease-duration-seconds: a leader must stop acting before a standby may take over',
    );
  if (config.pilotGpuDiscoveryExtra && !GPU_DISCOVERY_OPTIONS.test(config.pilotGpuDiscoveryExtra))
    throw new ConfigError(
      '--pilot-gpu-discovery-extra must be condor_gpu_discovery options, words starting with "-" (e.g. -simulate:4,2)',
    );
  if (config.maxOutputBytes > config.maxOutputBytesCeiling)
    throw new ConfigError('--max-output-bytes must not be above --max-output-bytes-ceiling');
  checkSchedds(config);
  return config;
}

/**
 * The schedd names of the default pool: --schedd-names when set (it replaces --schedd-name, which an
 * environment may set for every process), else --schedd-name (empty: the local schedd). More than one
 * spreads new HPCJobs over them (src/controllers/hpcjob/spread.ts).
 */
export function defaultScheddNames(config: OperatorConfig): string[] {
  const list = config.scheddNames
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return list.length > 0 ? list : [config.scheddName];
}

export function spreadPolicyOf(config: OperatorConfig): SpreadPolicy {
  return config.scheddSpread as SpreadPolicy;
}

function checkSchedds(config: OperatorConfig): void {
  if (!(SPREAD_POLICIES as readonly string[]).includes(config.scheddSpread))
    throw new ConfigError(
      `--schedd-spread must be one of ${SPREAD_POLICIES.join(', ')}, got ${JSON.stringify(config.scheddSpread)}`,
    );
  const names = defaultScheddNames(config);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`--schedd-names names ${twice} twice`);
}

/** Suffix of the Lease name derived from --operator-id. */
export const LEASE_SUFFIX = '.hpc.scailfin.io';
/** A DNS-1123 subdomain, what Kubernetes accepts as a Lease name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The default Lease name: one per operator id, so that a second operator (another namespace, its own id)
 * elects its own leader instead of standing by behind the first one forever. The default id gives the name
 * the Lease always had (hpc-operator.hpc.scailfin.io), so upgrades keep their Lease.
 */
export function leaseNameFor(operatorId: string): string {
  const name = `${operatorId}${LEASE_SUFFIX}`;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw new ConfigError(
      `--operator-id ${JSON.stringify(operatorId)} cannot name the leader election Lease (${name} is not a DNS subdomain: lower case letters, digits, '-' and '.'): set --leader-election-id`,
    );
  return name;
}

function convert(name: string, spec: FlagSpec, value: string): string | number | boolean {
  switch (spec.kind) {
    case 'string':
      return value;
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new ConfigError(`--${name} must be a positive integer, got ${value}`);
      return n;
    }
    case 'bool':
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw new ConfigError(`--${name} must be true or false, got ${value}`);
  }
}

export function usage(): string {
  const lines = ['usage: hpc-operator [flags]', ''];
  for (const [name, spec] of Object.entries(FLAGS)) {
    lines.push(`  --${name} (${spec.env}, default ${JSON.stringify(spec.default)})`, `      ${spec.help}`);
  }
  return lines.join('\n');
}
