/**
 * A fixed pool of list nodes shared by the policies: every node carries a block key and sits on
 * exactly one of a few intrusive doubly linked lists (an LRU layer, a FIFO, a ghost list). The
 * links are Int32Arrays indexed by node number and the key-to-node map is a {@link KeyIndex}, so
 * every operation is O(1) and nothing is allocated after construction.
 *
 * Lists run from head (most recent) to tail (oldest); `NIL` ends them.
 */
import { InternalError } from '../../errors.ts';
import { KeyIndex } from './key-index.ts';

export const NIL = -1;

export class NodePool {
  readonly keys: Float64Array;
  /** Which list each node is on (meaningful only for nodes in use). */
  readonly list: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly sizes: Int32Array;
  private readonly freeNodes: Int32Array;
  private freeCount: number;
  private readonly index: KeyIndex;

  constructor(
    readonly nodeCount: number,
    listCount: number,
  ) {
    this.keys = new Float64Array(nodeCount);
    this.list = new Uint8Array(nodeCount);
    this.prev = new Int32Array(nodeCount);
    this.next = new Int32Array(nodeCount);
    this.heads = new Int32Array(listCount).fill(NIL);
    this.tails = new Int32Array(listCount).fill(NIL);
    this.sizes = new Int32Array(listCount);
    this.freeNodes = new Int32Array(nodeCount);
    // Hand out low node numbers first (keeps the arrays' hot part small while filling).
    for (let i = 0; i < nodeCount; i++) this.freeNodes[i] = nodeCount - 1 - i;
    this.freeCount = nodeCount;
    this.index = new KeyIndex(this.keys, nodeCount);
  }

  /** The node holding `key` (on any list), or NIL. */
  find(key: number): number {
    return this.index.find(key);
  }

  /** Takes a free node for `key` and puts it at the head of `list`. */
  allocate(key: number, list: number): number {
    if (this.freeCount === 0) throw new InternalError(`node pool of ${this.nodeCount} nodes exhausted`);
    const node = this.freeNodes[--this.freeCount]!;
    this.keys[node] = key;
    this.index.insert(node);
    this.linkHead(list, node);
    return node;
  }

  /** Unlinks `node`, forgets its key and returns it to the pool. */
  release(node: number): void {
    this.unlink(node);
    this.index.remove(this.keys[node]!);
    this.freeNodes[this.freeCount++] = node;
  }

  /** Moves `node` (on any list) to the head of `list`. */
  moveToHead(list: number, node: number): void {
    if (this.heads[list] === node) return;
    this.unlink(node);
    this.linkHead(list, node);
  }

  head(list: number): number {
    return this.heads[list]!;
  }

  tail(list: number): number {
    return this.tails[list]!;
  }

  /** The node after `node` towards the tail, or NIL. */
  after(node: number): number {
    return this.next[node]!;
  }

  size(list: number): number {
    return this.sizes[list]!;
  }

  /** Bytes held by the pool's arrays (for memory accounting). */
  get byteLength(): number {
    return this.nodeCount * (8 + 1 + 4 + 4 + 4) + this.index.byteLength;
  }

  private linkHead(list: number, node: number): void {
    const head = this.heads[list]!;
    this.list[node] = list;
    this.prev[node] = NIL;
    this.next[node] = head;
    if (head === NIL) this.tails[list] = node;
    else this.prev[head] = node;
    this.heads[list] = node;
    this.sizes[list] = this.sizes[list]! + 1;
  }

  private unlink(node: number): void {
    const list = this.list[node]!;
    const p = this.prev[node]!;
    const n = this.next[node]!;
    if (p === NIL) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[list] = p;
    else this.prev[n] = p;
    this.sizes[list] = this.sizes[list]! - 1;
  }
}
