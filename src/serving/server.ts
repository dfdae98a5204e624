/**
 * The operator's HTTPS listener for what the API server and clients call on it (the admission webhook, live
 * logs), like controller-runtime's webhook server: one port, routes by path prefix, a certificate that can
 * change under it. It asks for a client certificate but does not require one: a route that authenticates by
 * certificate checks it against the CA it trusts; the rest authenticate otherwise (bearer token) or not at all.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { parseBindAddress } from '../runtime/health.js';
import type { CertSource } from './certs.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ServingOptions {
  /** ":9443", "127.0.0.1:9443", or "0" (off). */
  bindAddress: string;
  certs: CertSource;
  log: Logger;
}

export class ServingServer {
  readonly #routes: { prefix: string; handler: RouteHandler }[] = [];
  #server: Server | undefined;
  #port = 0;

  constructor(private readonly o: ServingOptions) {}

  /** The port listened on (0 before start, or when off). */
  get port(): number {
    return this.#port;
  }

  /** Serves requests whose path starts with `prefix`; the longest matching prefix wins. */
  route(prefix: string, handler: RouteHandler): void {
    this.#routes.push({ prefix, handler });
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async start(): Promise<void> {
    const bind = parseBindAddress(this.o.bindAddress);
    if (!bind) return;
    const cert = this.o.certs.current();
    if (!cert) throw new Error('serving: no certificate to serve with');
    const server = createServer({ ...cert, requestCert: true, rejectUnauthorized: false }, (req, res) =>
      this.#dispatch(req, res),
    );
    // A rotated certificate applies to new connections; open ones keep the one they started with.
    this.o.certs.onRotate(() => {
      const next = this.o.certs.current();
      if (next) server.setSecureContext({ ...next });
      this.o.log.info({ object: 'serving' }, 'serving certificate rotated');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bind.port, bind.host, () => resolve());
    });
    const addr = server.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : bind.port;
    this.#server = server;
    this.o.log.info({ object: 'serving', port: this.#port }, 'serving HTTPS');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = this.#routes.find((r) => path.startsWith(r.prefix));
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res))
      .catch((e: unknown) => {
        this.o.log.error({ object: 'serving', path, err: e }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
  }
}

export { FileCertSource, type CertSource, type ServingCert } from './certs.js';
