/**
 * SSH transport to an HPC login node (ssh2): key authentication from a Secret, the host key pinned, never an
 * unknown host key accepted. Commands run through the remote user's shell, so callers pass argv and this
 * module quotes it.
 */
// ssh2 is CommonJS: Node's ESM loader cannot see its named exports, so take them from the default export.
import ssh2, { type Client as SshClient, type ConnectConfig } from 'ssh2';

const { Client, utils } = ssh2;
import { createHash } from 'node:crypto';
import { shellCommand } from './shell.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** PEM/OpenSSH private key. Never logged. */
  privateKey: string;
  /** Accepted host keys, as known_hosts lines ("[host]:port type base64 [comment]") or "type base64". */
  hostKeys: readonly string[];
  connectTimeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
}

export type SshErrorKind = 'host-key' | 'auth' | 'unreachable' | 'timeout' | 'failed';

export class SshError extends Error {
  constructor(
    readonly kind: SshErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

/** The base64 key blobs of the pinned keys, from known_hosts-style lines. */
export function pinnedKeyBlobs(lines: readonly string[]): Set<string> {
  const blobs = new Set<string>();
  for (const raw of lines.flatMap((l) => l.split('\n'))) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    // "type base64 [comment]" or "hosts type base64 [comment]" (markers like @cert-authority are not honoured).
    const typeIndex = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
    const blob = typeIndex >= 0 ? fields[typeIndex + 1] : undefined;
    if (blob) blobs.add(blob);
  }
  return blobs;
}

/** Checks that a private key parses, without revealing it: returns an error message or undefined. */
export function checkPrivateKey(privateKey: string): string | undefined {
  // Every VirtualCluster pass checks its keys again: remember verdicts by the key's digest (not the key).
  const digest = createHash('sha256').update(privateKey).digest('hex');
  const known = keyVerdicts.get(digest);
  if (known !== undefined) return known || undefined;
  const parsed = utils.parseKey(privateKey);
  const verdict = parsed instanceof Error ? `the SSH private key does not parse: ${parsed.message}` : '';
  if (keyVerdicts.size >= MAX_KEY_VERDICTS) keyVerdicts.clear();
  keyVerdicts.set(digest, verdict);
  return verdict || undefined;
}

/** Parse verdicts of private keys by sha256 ('' when the key parses); bounded, cleared when full. */
const keyVerdicts = new Map<string, string>();
const MAX_KEY_VERDICTS = 1024;

export class SshTransport {
  readonly #target: SshTarget;
  #client: SshClient | undefined;
  #connecting: Promise<SshClient> | undefined;

  constructor(target: SshTarget) {
    this.#target = target;
  }

  get address(): string {
    return `${this.#target.username}@${this.#target.host}:${this.#target.port}`;
  }

  async #connect(): Promise<SshClient> {
    if (this.#client) return this.#client;
    if (this.#connecting) return this.#connecting;
    const t = this.#target;
    const pinned = pinnedKeyBlobs(t.hostKeys);
    if (pinned.size === 0)
      throw new SshError('host-key', `no pinned host key for ${t.host}: refusing to connect`);
    let hostKeyRejected = false;
    this.#connecting = new Promise<SshClient>((resolve, reject) => {
      const client = new Client();
      const cfg: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.username,
        privateKey: t.privateKey,
        readyTimeout: t.connectTimeoutMs ?? 10_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const ok = pinned.has(key.toString('base64'));
          if (!ok) hostKeyRejected = true;
          return ok;
        },
      };
      client
        .on('ready', () => resolve(client))
        .on('error', (err: Error & { level?: string; code?: string }) => {
          this.#client = undefined;
          reject(classify(err, hostKeyRejected, this.address));
        })
        .on('close', () => {
          this.#client = undefined;
        });
      client.connect(cfg);
    });
    try {
      this.#client = await this.#connecting;
      return this.#client;
    } finally {
      this.#connecting = undefined;
    }
  }

  /** Runs argv on the login node (quoted for its shell), optionally feeding stdin. */
  async exec(
    argv: readonly string[],
    o: { input?: string | Buffer; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    return this.execScript(shellCommand(argv), o);
  }

  /** Runs a command line that the caller already quoted. */
  async execScript(
    command: string,
    o: { input?: string | Buffer; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const client = await this.#connect();
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new SshError('timeout', `command on ${this.address} timed out`));
        this.close();
      }, o.timeoutMs ?? 60_000);
      client.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          reject(new SshError('failed', `exec on ${this.address} failed: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code: number | null = null;
        let signal: string | null = null;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s ?? null;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
            code,
            signal,
          });
        });
        if (o.input !== undefined) stream.end(o.input);
        else stream.end();
      });
    });
  }

  close(): void {
    this.#client?.end();
    this.#client = undefined;
  }
}

function classify(
  err: Error & { level?: string; code?: string },
  hostKeyRejected: boolean,
  address: string,
): SshError {
  if (hostKeyRejected) {
    return new SshError(
      'host-key',
      `the host key of ${address} does not match the pinned key: refusing to connect`,
    );
  }
  if (err.level === 'client-authentication') {
    return new SshError('auth', `${address} refused the SSH key (authentication failed)`);
  }
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
    return new SshError('timeout', `connecting to ${address} timed out`);
  }
  if (
    err.level === 'client-socket' ||
    err.code === 'ECONNREFUSED' ||
    err.code === 'EHOSTUNREACH' ||
    err.code === 'ENETUNREACH'
  ) {
    return new SshError('unreachable', `${address} is unreachable: ${err.message}`);
  }
  return new SshError('failed', `SSH to ${address} failed: ${err.message}`);
}
