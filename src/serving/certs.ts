/**
 * Where the serving certificate comes from. A directory of tls.crt/tls.key (a mounted Secret that
 * cert-manager renews) is read again when it changes; the operator-managed source lives beside this one.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ServingCert {
  /** PEM: the certificate (chain) and its private key. */
  cert: string;
  key: string;
}

export interface CertSource {
  current(): ServingCert | undefined;
  /** Called after current() changed. */
  onRotate(listener: () => void): void;
}

/** How often a mounted certificate directory is checked for a renewed pair. */
export const CERT_DIR_POLL_MS = 60_000;

export class FileCertSource implements CertSource {
  #cert: ServingCert | undefined;
  #stamp = '';
  readonly #listeners: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly dir: string) {
    this.#load();
  }

  current(): ServingCert | undefined {
    return this.#cert;
  }

  onRotate(listener: () => void): void {
    this.#listeners.push(listener);
    // Kubelet swaps a mounted Secret's files atomically; polling the times is enough and survives the symlink swap.
    this.#timer ??= setInterval(() => {
      if (this.#load()) for (const l of this.#listeners) l();
    }, CERT_DIR_POLL_MS).unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Reads the pair when its files changed; true when it did. */
  #load(): boolean {
    const crt = join(this.dir, 'tls.crt');
    const key = join(this.dir, 'tls.key');
    let stamp: string;
    try {
      stamp = `${statSync(crt).mtimeMs}/${statSync(key).mtimeMs}`;
    } catch (e) {
      throw new Error(`--serving-cert-dir ${this.dir} needs tls.crt and tls.key: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (stamp === this.#stamp) return false;
    this.#cert = { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
    this.#stamp = stamp;
    return true;
  }
}
