/**
 * /healthz, /readyz (controller-runtime's format: `[+]name ok` lines, `?verbose`, /readyz/<check>) and
 * /metrics, on their own listeners like controller-runtime (probes :8081, metrics :8080).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage } from './kube-api.js';

/**
 * A probe's slow call (a condor_q round trip, say), made at most once per `everyMs` and never twice at once:
 * probes come every few seconds from the kubelet, and one that waits on a daemon that hangs must not start
 * another call each time (a pile of condor_q processes against a schedd that is already slow).
 */
export class SharedCall {
  #last: { at: number; error?: string } = { at: -Infinity };
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly call: () => Promise<void>,
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The error of the latest answer (undefined: it succeeded), asking again once that is `everyMs` old. */
  async error(): Promise<string | undefined> {
    if (this.now() - this.#last.at > this.everyMs) {
      this.#inFlight ??= this.call()
        .then(
          () => ({ at: this.now() }),
          (e: unknown) => ({ at: this.now(), error: errorMessage(e) }),
        )
        .then((last) => {
          this.#last = last;
          this.#inFlight = undefined;
        });
      await this.#inFlight;
    }
    return this.#last.error;
  }
}

/** Throws when failing; may return a note that passing output shows (`[+]leader ok: standby, ...`). */
export type Check = () => Promise<string | void> | string | void;

export class Probes {
  readonly #healthz = new Map<string, Check>();
  readonly #readyz = new Map<string, Check>();

  addHealthzCheck(name: string, check: Check): void {
    this.#healthz.set(name, check);
  }

  addReadyzCheck(name: string, check: Check): void {
    this.#readyz.set(name, check);
  }

  async evaluate(kind: 'healthz' | 'readyz', only?: string): Promise<{ ok: boolean; text: string }> {
    const checks = kind === 'healthz' ? this.#healthz : this.#readyz;
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of checks) {
      if (only && name !== only) continue;
      try {
        const note = await check();
        lines.push(note ? `[+]${name} ok: ${note}` : `[+]${name} ok`);
      } catch (e) {
        ok = false;
        lines.push(`[-]${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (only && lines.length === 0) return { ok: false, text: `no check named ${only}\n` };
    lines.push(ok ? `${kind} check passed` : `${kind} check failed`);
    return { ok, text: lines.join('\n') + '\n' };
  }
}

/** Parses ":8081", "127.0.0.1:8081" or "0" (disabled). */
export function parseBindAddress(addr: string): { host: string | undefined; port: number } | undefined {
  if (addr === '0' || addr === '') return undefined;
  const i = addr.lastIndexOf(':');
  const host = i > 0 ? addr.slice(0, i) : undefined;
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid bind address ${addr}`);
  return { host, port };
}

function listen(server: Server, addr: string): Promise<Server | undefined> {
  const bind = parseBindAddress(addr);
  if (!bind) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => resolve(server));
  });
}

export function serveProbes(probes: Probes, addr: string): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/(healthz|readyz)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end('not found\n');
      return;
    }
    void probes.evaluate(m[1] as 'healthz' | 'readyz', m[2]).then(({ ok, text }) => {
      const verbose = url.searchParams.has('verbose') || !ok;
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(verbose ? text : 'ok');
    });
  });
  return listen(server, addr);
}

export function serveMetrics(registry: Registry, addr: string): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      })
      .catch((e: unknown) => {
        res.writeHead(500).end(String(e));
      });
  });
  return listen(server, addr);
}
