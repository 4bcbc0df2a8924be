/**
 * LIRS (S. Jiang and X. Zhang, "LIRS: An Efficient Low Inter-reference Recency Set Replacement
 * Policy to Improve Buffer Cache Performance", SIGMETRICS 2002). Blocks are LIR (low
 * inter-reference recency: re-read within a short distance; always resident, most of the cache)
 * or HIR (the rest: a few resident ones in a small part of the cache, the others only remembered).
 * The stack S orders recent blocks by recency, LIR and HIR alike, and always ends in an LIR block
 * (pruning removes HIR blocks from its bottom); the list Q holds the resident HIR blocks, the
 * eviction candidates. An HIR block read again while still in S has a reuse distance below the
 * oldest LIR block's recency, so it becomes LIR and that oldest LIR block becomes HIR.
 *
 * Choices where the paper leaves room: the resident HIR part is 1% of the cache (at least one
 * block), as the paper recommends; the first blocks become LIR until the LIR part is full (cold
 * start); non-resident HIR entries in S are limited to as many as the cache holds blocks (the
 * oldest is forgotten), which bounds memory as the ghosts of the other policies are bounded.
 */
import { InternalError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';
import { LinkedLists } from './linked-lists.ts';
import { NIL, NO_LIST, NodePool } from './node-pool.ts';
import type { CachePolicy, LayerStats } from './policy.ts';

/** Lists of the pool: Q (resident HIR, eviction at the tail) and the non-resident HIR entries. */
const Q = 0;
const NONRESIDENT = 1;
/** The one list of the second link set: the stack S (top = head). */
const S = 0;

const LIR = 0;
const HIR = 1;
const GONE = 2;

export interface LirsOptions {
  /** Share of the capacity for resident HIR blocks (default 0.01, at least one block). */
  readonly hirRatio?: number;
}

export type LirsStatus = 'LIR' | 'HIR' | 'non-resident';

export class LirsPolicy implements CachePolicy {
  readonly name = 'lirs';
  /** Keys, Q and the non-resident list; LIR blocks are on no pool list. */
  private readonly pool: NodePool;
  private readonly stack: LinkedLists;
  private readonly status: Uint8Array;
  private readonly lirCapacity: number;
  private readonly hirCapacity: number;
  private lirCount = 0;
  private hitsLir = 0;
  private hitsHir = 0;

  constructor(
    readonly capacity: number,
    options: LirsOptions = {},
  ) {
    this.hirCapacity = Math.max(1, Math.floor(capacity * (options.hirRatio ?? 0.01)));
    this.lirCapacity = capacity - this.hirCapacity;
    this.pool = new NodePool(2 * capacity, 2);
    this.stack = new LinkedLists(2 * capacity, 1);
    this.status = new Uint8Array(2 * capacity);
  }

  get size(): number {
    return this.lirCount + this.pool.size(Q);
  }

  get metadataBytes(): number {
    return this.pool.byteLength + this.stack.linkBytes + this.status.byteLength;
  }

  lookup(key: BlockKey, _now: number): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.status[node] === GONE) return false;
    if (this.status[node] === LIR) {
      this.hitsLir++;
      this.stack.moveToHead(S, node);
      this.prune();
      return true;
    }
    this.hitsHir++;
    if (this.inStack(node)) {
      this.makeLir(node);
    } else {
      this.stack.moveToHead(S, node);
      this.pool.moveToHead(Q, node);
    }
    return true;
  }

  contains(key: BlockKey): boolean {
    const node = this.pool.find(key);
    return node !== NIL && this.status[node] !== GONE;
  }

  admit(key: BlockKey, _now: number, _references: number): BlockKey {
    let node = this.pool.find(key);
    if (node !== NIL && this.status[node] !== GONE) throw new InternalError(`lirs: admit of resident key ${key}`);
    // Off the non-resident list first: making room may forget that list's oldest, maybe this key.
    if (node !== NIL) this.pool.unlink(node);
    const evicted = this.size >= this.capacity ? this.evict() : NO_KEY;
    if (node !== NIL) {
      // Non-resident but still in S: its reuse distance beats the oldest LIR block's recency.
      this.makeLir(node);
    } else if (this.lirCount < this.lirCapacity) {
      node = this.pool.allocate(key, NO_LIST);
      this.status[node] = LIR;
      this.lirCount++;
      this.stack.moveToHead(S, node);
    } else {
      node = this.pool.allocate(key, Q);
      this.status[node] = HIR;
      this.stack.moveToHead(S, node);
    }
    return evicted;
  }

  remove(key: BlockKey): boolean {
    const node = this.pool.find(key);
    if (node === NIL || this.status[node] === GONE) return false;
    if (this.status[node] === LIR) this.lirCount--;
    this.forget(node);
    this.prune();
    return true;
  }

  setReferences(_key: BlockKey, _references: number): void {}

  forEachResident(visit: (key: BlockKey) => void): void {
    for (let n = this.stack.head(S); n !== NIL; n = this.stack.after(n)) if (this.status[n] === LIR) visit(this.pool.keys[n]!);
    this.pool.forEachKey(Q, visit);
  }

  layers(): LayerStats[] {
    return [
      { name: 'LIR', blocks: this.lirCount, capacity: this.lirCapacity, hits: this.hitsLir },
      { name: 'HIR', blocks: this.pool.size(Q), capacity: this.hirCapacity, hits: this.hitsHir },
    ];
  }

  /** A key's status, or null when LIRS does not know it (for tests). */
  statusOf(key: BlockKey): LirsStatus | null {
    const node = this.pool.find(key);
    return node === NIL ? null : (['LIR', 'HIR', 'non-resident'] as const)[this.status[node]!]!;
  }

  /** Keys in S from top to bottom (for tests). */
  stackKeys(): BlockKey[] {
    const out: BlockKey[] = [];
    for (let n = this.stack.head(S); n !== NIL; n = this.stack.after(n)) out.push(this.pool.keys[n]!);
    return out;
  }

  /** An HIR block (resident or not) in S becomes LIR; the LIR block at S's bottom becomes HIR. */
  private makeLir(node: number): void {
    if (this.pool.list[node] !== NO_LIST) this.pool.unlink(node);
    this.status[node] = LIR;
    this.lirCount++;
    this.stack.moveToHead(S, node);
    if (this.lirCount > this.lirCapacity) this.demoteBottom();
  }

  private demoteBottom(): void {
    const bottom = this.stack.tail(S);
    this.stack.unlink(bottom);
    this.status[bottom] = HIR;
    this.lirCount--;
    this.pool.moveToHead(Q, bottom);
    this.prune();
  }

  /** Evicts Q's oldest block; it stays in S as non-resident when it is there. */
  private evict(): BlockKey {
    const victim = this.pool.tail(Q);
    const key = this.pool.keys[victim]!;
    if (!this.inStack(victim)) {
      this.pool.release(victim);
      return key;
    }
    this.status[victim] = GONE;
    this.pool.moveToHead(NONRESIDENT, victim);
    if (this.pool.size(NONRESIDENT) > this.capacity) this.forget(this.pool.tail(NONRESIDENT));
    return key;
  }

  /** Removes HIR blocks from the bottom of S until an LIR block is there. */
  private prune(): void {
    for (let bottom = this.stack.tail(S); bottom !== NIL && this.status[bottom] !== LIR; bottom = this.stack.tail(S)) {
      this.stack.unlink(bottom);
      if (this.status[bottom] === GONE) this.pool.release(bottom);
    }
  }

  /** Drops a node from S and from the pool. */
  private forget(node: number): void {
    if (this.inStack(node)) this.stack.unlink(node);
    this.pool.release(node);
  }

  private inStack(node: number): boolean {
    return this.stack.list[node] !== NO_LIST;
  }
}
