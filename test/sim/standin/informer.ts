/**
 * STAND-IN: a list-then-watch cache of one resource: relists on 410 Gone, resumes the watch from the last
 * resourceVersion (bookmarks included) after it ends, backs off after errors.
 */
import type { Clock } from '../../../src/runtime/clock.js';
import {
  isGone,
  type KubeObject,
  type ListWatchSource,
  type WatchHandle,
} from '../../../src/runtime/kube-api.js';

export class Informer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  #rv = '';
  #watch: WatchHandle | undefined;
  #stopped = false;
  synced = false;

  constructor(
    readonly clock: Clock,
    readonly source: ListWatchSource<T>,
    readonly onChange: (key: string) => void,
  ) {}

  start(): void {
    void this.#relist();
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.abort();
    this.items.clear();
  }

  /** After a successful write: the newer copy replaces the cached one (unless the cache is newer already). */
  update(obj: T): void {
    const key = keyOf(obj);
    const cur = this.items.get(key);
    if (cur && Number(cur.metadata.resourceVersion) > Number(obj.metadata.resourceVersion)) return;
    this.items.set(key, obj);
  }

  async #relist(): Promise<void> {
    if (this.#stopped) return;
    try {
      const seen = new Map<string, T>();
      let cont: string | undefined;
      let rv = '';
      do {
        const page = await this.source.list({ limit: 50, continue: cont });
        for (const o of page.items) seen.set(keyOf(o), o);
        rv = page.resourceVersion;
        cont = page.continue;
      } while (cont);
      if (this.#stopped) return;
      const keys = new Set([...this.items.keys(), ...seen.keys()]);
      this.items.clear();
      for (const [k, o] of seen) this.items.set(k, o);
      this.#rv = rv;
      this.synced = true;
      for (const k of keys) this.onChange(k);
      await this.#watchFrom();
    } catch {
      this.clock.after(2_000, () => void this.#relist());
    }
  }

  async #watchFrom(): Promise<void> {
    if (this.#stopped) return;
    let expired = false;
    try {
      this.#watch = await this.source.watch(
        { resourceVersion: this.#rv, timeoutSeconds: 300 },
        (type, obj) => {
          const o = obj as T;
          // The real server sends 410 as an ERROR event in the stream, then ends the watch normally.
          if (type === 'ERROR') expired ||= (obj as { code?: number }).code === 410;
          if (type === 'ERROR' || !o.metadata) return;
          if (o.metadata.resourceVersion) this.#rv = o.metadata.resourceVersion;
          if (type === 'BOOKMARK') return;
          const key = keyOf(o);
          if (type === 'DELETED') this.items.delete(key);
          else this.items.set(key, o);
          this.onChange(key);
        },
        (err) => {
          if (this.#stopped) return;
          if (expired || isGone(err)) void this.#relist();
          else this.clock.after(err ? 1_000 : 0, () => void this.#watchFrom());
        },
      );
      if (this.#stopped) this.#watch.abort();
    } catch (e) {
      if (isGone(e)) void this.#relist();
      else this.clock.after(2_000, () => void this.#watchFrom());
    }
  }
}

export function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
