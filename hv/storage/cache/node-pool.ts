/**
 * A fixed pool of list nodes shared by the policies: every node carries a block key and sits on
 * exactly one of a few intrusive doubly linked lists (an LRU layer, a FIFO, a ghost list). The
 * links are typed arrays indexed by node number (linked-lists.ts) and the key-to-node map is a
 * {@link KeyIndex}, so every operation is O(1) and nothing is allocated after construction.
 *
 * Lists run from head (most recent) to tail (oldest); `NIL` ends them.
 */
import { InternalError } from '../../errors.ts';
import { KeyIndex } from './key-index.ts';
import { LinkedLists, NIL, NO_LIST } from './linked-lists.ts';

export { NIL, NO_LIST } from './linked-lists.ts';

export class NodePool extends LinkedLists {
  readonly keys: Float64Array;
  private readonly freeNodes: Int32Array;
  private freeCount: number;
  private readonly index: KeyIndex;

  constructor(
    readonly nodeCount: number,
    listCount: number,
  ) {
    super(nodeCount, listCount);
    this.keys = new Float64Array(nodeCount);
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

  /** Takes a free node for `key` and puts it at the head of `list` (or on no list: NO_LIST). */
  allocate(key: number, list: number): number {
    if (this.freeCount === 0) throw new InternalError(`node pool of ${this.nodeCount} nodes exhausted`);
    const node = this.freeNodes[--this.freeCount]!;
    this.keys[node] = key;
    this.index.insert(node);
    if (list !== NO_LIST) this.linkHead(list, node);
    return node;
  }

  /** Unlinks `node` (if on a list), forgets its key and returns it to the pool. */
  release(node: number): void {
    if (this.list[node] !== NO_LIST) this.unlink(node);
    this.index.remove(this.keys[node]!);
    this.freeNodes[this.freeCount++] = node;
  }

  /** Calls `visit` with the key of every node on `list`, head first. */
  forEachKey(list: number, visit: (key: number) => void): void {
    for (let n = this.head(list); n !== NIL; n = this.next[n]!) visit(this.keys[n]!);
  }

  /** Bytes held by the pool's arrays (for memory accounting). */
  get byteLength(): number {
    return this.linkBytes + this.nodeCount * (8 + 4) + this.index.byteLength;
  }
}
