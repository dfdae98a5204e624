/**
 * Unique keys in arrival order with O(1) push, shift and delete: the work queue's lanes. A plain array's
 * shift() is O(n) past a few thousand elements, and a Set taken from the front skips every hole left by
 * earlier deletes; at 20,000 keys both cost 10 to 40 µs per key handed out. Here a deleted key leaves a
 * hole that shift() steps over once, and the array drops its consumed front when that is half of it.
 */
export class KeyFifo {
  #items: (string | undefined)[] = [];
  /** Position in #items of the next key to hand out. */
  #head = 0;
  /** Absolute position (counting keys dropped from the front) of each key in the queue. */
  readonly #at = new Map<string, number>();
  /** Absolute position of #items[0]. */
  #base = 0;

  get size(): number {
    return this.#at.size;
  }

  has(key: string): boolean {
    return this.#at.has(key);
  }

  /** Adds `key` at the end; a key already queued keeps its place. */
  push(key: string): void {
    if (this.#at.has(key)) return;
    this.#at.set(key, this.#base + this.#items.length);
    this.#items.push(key);
  }

  /** Takes a key out wherever it is; false when it was not queued. */
  delete(key: string): boolean {
    const at = this.#at.get(key);
    if (at === undefined) return false;
    this.#at.delete(key);
    this.#items[at - this.#base] = undefined;
    return true;
  }

  /** The first key, taken out; undefined when empty. */
  shift(): string | undefined {
    while (this.#head < this.#items.length) {
      const key = this.#items[this.#head++];
      if (key === undefined) continue;
      this.#at.delete(key);
      this.#compact();
      return key;
    }
    this.#compact();
    return undefined;
  }

  clear(): void {
    this.#base += this.#items.length;
    this.#items = [];
    this.#head = 0;
    this.#at.clear();
  }

  /** Drops the consumed front once it is at least half of the array (amortised O(1) per key). */
  #compact(): void {
    if (this.#head < 1024 && this.#head < this.#items.length) return;
    if (this.#head * 2 < this.#items.length) return;
    this.#items = this.#items.slice(this.#head);
    this.#base += this.#head;
    this.#head = 0;
  }
}
