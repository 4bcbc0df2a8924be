/**
 * An open-addressing hash index from block keys to small integer ids (node or slot numbers),
 * with linear probing and backward-shift deletion (no tombstones, so lookups never slow down
 * as entries come and go). The keys themselves live in the caller's Float64Array, indexed by
 * id: the table stores only ids, 4 bytes per slot, and compares `keys[id]` with the key sought.
 *
 * Why not a Map: keys above 2^31 are heap numbers in V8, so a Map<number, ...> allocates per
 * entry and hashes slowly; this table allocates nothing after construction.
 */

const EMPTY = -1;

export class KeyIndex {
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  /** `keys[id]` must hold the key of every id in the index; at most `maxEntries` ids. */
  constructor(
    private readonly keys: Float64Array,
    maxEntries: number,
  ) {
    // Load factor at most 1/2 keeps probe sequences short.
    const bits = Math.max(4, Math.ceil(Math.log2(Math.max(1, maxEntries) * 2)));
    this.table = new Int32Array(2 ** bits).fill(EMPTY);
    this.mask = 2 ** bits - 1;
    this.shift = 32 - bits;
  }

  /** The id holding `key`, or -1. */
  find(key: number): number {
    const keys = this.keys;
    const table = this.table;
    let i = this.home(key);
    for (;;) {
      const id = table[i]!;
      if (id === EMPTY || keys[id] === key) return id;
      i = (i + 1) & this.mask;
    }
  }

  /** Adds `id` (whose key is `keys[id]`); the key must not be in the index yet. */
  insert(id: number): void {
    const table = this.table;
    let i = this.home(this.keys[id]!);
    while (table[i] !== EMPTY) i = (i + 1) & this.mask;
    table[i] = id;
  }

  /** Removes `key`; returns false when it was absent. */
  remove(key: number): boolean {
    const table = this.table;
    const keys = this.keys;
    let hole = this.home(key);
    for (;;) {
      const id = table[hole]!;
      if (id === EMPTY) return false;
      if (keys[id] === key) break;
      hole = (hole + 1) & this.mask;
    }
    // Shift later entries of the probe run back into the hole when their home allows it.
    let j = hole;
    for (;;) {
      j = (j + 1) & this.mask;
      const id = table[j]!;
      if (id === EMPTY) break;
      const home = this.home(keys[id]!);
      if (((j - home) & this.mask) >= ((j - hole) & this.mask)) {
        table[hole] = id;
        hole = j;
      }
    }
    table[hole] = EMPTY;
    return true;
  }

  /** Bytes of the table (for memory accounting). */
  get byteLength(): number {
    return this.table.byteLength;
  }

  private home(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    // Fibonacci hashing of both halves: sequential block numbers spread over the whole table.
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }
}
