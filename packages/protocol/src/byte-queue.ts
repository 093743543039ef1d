/**
 * A FIFO of received chunks with cheap reads from the front. `consume(n)` returns a view (no copy)
 * when the bytes sit in one chunk, and copies once when they span chunks.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #offset = 0; // read position inside #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at `index` from the front; the caller ensures index < length. */
  byteAt(index: number): number {
    let i = index + this.#offset;
    for (const chunk of this.#chunks) {
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    return -1;
  }

  /** Position of `byte` at or after `from` (relative to the front), or -1. */
  indexOf(byte: number, from = 0): number {
    let base = 0; // logical position of the current chunk's first unread byte
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === 0 ? this.#offset : 0;
      const size = chunk.length - start;
      if (from < base + size) {
        const found = chunk.indexOf(byte, start + Math.max(0, from - base));
        if (found !== -1) return base + found - start;
      }
      base += size;
    }
    return -1;
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    const available = first.length - this.#offset;
    if (n <= available) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(n - written, chunk.length - this.#offset);
      chunk.copy(out, written, this.#offset, this.#offset + take);
      written += take;
      this.#advance(take);
    }
    return out;
  }

  /** Drops the first `n` bytes. */
  skip(n: number): void {
    while (n > 0) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(n, chunk.length - this.#offset);
      this.#advance(take);
      n -= take;
    }
  }

  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#length = 0;
  }

  #advance(n: number): void {
    this.#offset += n;
    this.#length -= n;
    if (this.#offset === this.#chunks[0]!.length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}
