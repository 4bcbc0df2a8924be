/**
 * Intrusive doubly linked lists over node numbers: every node is on at most one of `listCount`
 * lists, and the links are Int32Arrays indexed by node, so linking and unlinking are O(1) and
 * allocate nothing. Lists run from head (most recent) to tail (oldest); `NIL` ends them.
 * NodePool builds the policies' shared node pool on it; LIRS uses a second set of links.
 */

export const NIL = -1;
/** `list[node]` of a node that is on no list. */
export const NO_LIST = 255;

export class LinkedLists {
  /** Which list each node is on, or NO_LIST. */
  readonly list: Uint8Array;
  protected readonly prev: Int32Array;
  protected readonly next: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  private readonly sizes: Int32Array;

  constructor(nodeCount: number, listCount: number) {
    this.list = new Uint8Array(nodeCount).fill(NO_LIST);
    this.prev = new Int32Array(nodeCount);
    this.next = new Int32Array(nodeCount);
    this.heads = new Int32Array(listCount).fill(NIL);
    this.tails = new Int32Array(listCount).fill(NIL);
    this.sizes = new Int32Array(listCount);
  }

  /** Moves `node` (on any list or none) to the head of `list`. */
  moveToHead(list: number, node: number): void {
    if (this.heads[list] === node) return;
    if (this.list[node] !== NO_LIST) this.unlink(node);
    this.linkHead(list, node);
  }

  /** Moves `node` (on any list or none) to the tail of `list`. */
  moveToTail(list: number, node: number): void {
    if (this.tails[list] === node) return;
    if (this.list[node] !== NO_LIST) this.unlink(node);
    const tail = this.tails[list]!;
    this.list[node] = list;
    this.next[node] = NIL;
    this.prev[node] = tail;
    if (tail === NIL) this.heads[list] = node;
    else this.next[tail] = node;
    this.tails[list] = node;
    this.sizes[list] = this.sizes[list]! + 1;
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

  /** The node before `node` towards the head, or NIL. */
  before(node: number): number {
    return this.prev[node]!;
  }

  size(list: number): number {
    return this.sizes[list]!;
  }

  /** Takes `node` off its list (it must be on one). */
  unlink(node: number): void {
    const list = this.list[node]!;
    const p = this.prev[node]!;
    const n = this.next[node]!;
    if (p === NIL) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[list] = p;
    else this.prev[n] = p;
    this.sizes[list] = this.sizes[list]! - 1;
    this.list[node] = NO_LIST;
  }

  /** Bytes of the link arrays (for memory accounting). */
  get linkBytes(): number {
    return this.list.length * (1 + 4 + 4);
  }

  protected linkHead(list: number, node: number): void {
    const head = this.heads[list]!;
    this.list[node] = list;
    this.prev[node] = NIL;
    this.next[node] = head;
    if (head === NIL) this.tails[list] = node;
    else this.prev[head] = node;
    this.heads[list] = node;
    this.sizes[list] = this.sizes[list]! + 1;
  }
}
