/**
 * A least-recently-used cache of cluster-sized metadata tables (L2 tables, refcount blocks) keyed
 * by host offset, with write-back: changed tables stay dirty in memory until the image writes its
 * metadata back in the order that keeps the file consistent (qcow2-image.ts). When every cached
 * table is dirty and room is needed, `writeBack` is called first, so the cache never grows past
 * its capacity and never drops an unwritten change.
 *
 * A returned buffer is only valid until the next call on the cache: callers fetch the table again
 * rather than holding on to it across other operations.
 */
import { InternalError } from '../../errors.ts';

interface Entry {
  readonly data: Buffer;
  dirty: boolean;
}

export class TableCache {
  private readonly tables = new Map<number, Entry>();

  constructor(
    private readonly capacity: number,
    private readonly load: (offset: number) => Buffer,
    private readonly writeBack: () => void,
  ) {}

  get(offset: number): Buffer {
    const hit = this.tables.get(offset);
    if (hit) {
      // Re-insert so that Map order is least- to most-recently used.
      this.tables.delete(offset);
      this.tables.set(offset, hit);
      return hit.data;
    }
    const data = this.load(offset);
    this.insert(offset, data, false);
    return data;
  }

  /** Adds a table that has no valid copy on disk yet (a new one) or replaces a cached one. */
  insert(offset: number, data: Buffer, dirty: boolean): void {
    this.tables.delete(offset);
    if (this.tables.size >= this.capacity) this.evictOne();
    this.tables.set(offset, { data, dirty });
  }

  markDirty(offset: number): void {
    const entry = this.tables.get(offset);
    if (!entry) throw new InternalError(`table at ${offset} marked dirty but not cached`);
    entry.dirty = true;
  }

  /** Dirty tables in least-recently-used order. */
  dirtyTables(): Array<[number, Buffer]> {
    return [...this.tables].filter(([, e]) => e.dirty).map(([offset, e]) => [offset, e.data]);
  }

  get hasDirty(): boolean {
    for (const e of this.tables.values()) if (e.dirty) return true;
    return false;
  }

  markAllClean(): void {
    for (const e of this.tables.values()) e.dirty = false;
  }

  private evictOne(): void {
    if (!this.evictClean()) {
      this.writeBack();
      if (!this.evictClean()) throw new InternalError('table cache write-back left no clean table');
    }
  }

  private evictClean(): boolean {
    for (const [offset, e] of this.tables) {
      if (!e.dirty) {
        this.tables.delete(offset);
        return true;
      }
    }
    return false;
  }
}
