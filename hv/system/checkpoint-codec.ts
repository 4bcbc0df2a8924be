/**
 * The encoding of a checkpoint's state: plain data (what the components' saveState() return) as
 * tagged binary values. Unlike node:v8's serializer, whose bytes depend on how V8 happens to
 * hold a number (a small integer or a heap number), the bytes depend on the values only: the same
 * run gives the same checkpoint file, and the format is hvlab's own, versioned with the file.
 *
 * | tag | value |
 * |---|---|
 * | 0, 1, 2, 3 | undefined, null, false, true |
 * | 4 | a number: float64 |
 * | 5 | a number that is an int32 (not -0): int32 |
 * | 6 | a bigint: its decimal digits as a string |
 * | 7 | a string: u32 byte length, UTF-8 |
 * | 8 | an array: u32 count, values |
 * | 9 | an object: u32 count, (string key, value) pairs in key order of the object |
 * | 10, 11 | a Map (u32 count, key and value pairs), a Set (u32 count, values) |
 * | 12 | a typed array: u8 kind, u32 byte length, the bytes (little-endian) |
 *
 * Lengths and counts are little-endian u32. Objects must be plain: a class instance (or a
 * function) in the state is a bug of its saveState(), refused here.
 */
import { InternalError } from '../errors.ts';

const T = { UNDEFINED: 0, NULL: 1, FALSE: 2, TRUE: 3, FLOAT: 4, INT: 5, BIGINT: 6, STRING: 7, ARRAY: 8, OBJECT: 9, MAP: 10, SET: 11, TYPED: 12 } as const;

type TypedArrayConstructor = new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView;
/** Typed array kinds by number (the order is part of the format). */
const TYPED: ReadonlyArray<readonly [string, TypedArrayConstructor, number]> = [
  ['Uint8Array', Uint8Array, 1],
  ['Int8Array', Int8Array, 1],
  ['Uint8ClampedArray', Uint8ClampedArray, 1],
  ['Uint16Array', Uint16Array, 2],
  ['Int16Array', Int16Array, 2],
  ['Uint32Array', Uint32Array, 4],
  ['Int32Array', Int32Array, 4],
  ['Float32Array', Float32Array, 4],
  ['Float64Array', Float64Array, 8],
  ['BigInt64Array', BigInt64Array, 8],
  ['BigUint64Array', BigUint64Array, 8],
];
/** Buffer is a Uint8Array: it is stored (and comes back) as one. */
const TYPED_KIND = new Map<string, number>([...TYPED.map(([name], i) => [name, i] as const), ['Buffer', 0]]);
const MAX_DEPTH = 200;

export function encodeState(value: unknown): Buffer {
  const w = new Writer();
  w.value(value, 0);
  return w.result();
}

/** Decodes encodeState()'s bytes; throws on bytes that are not such an encoding. */
export function decodeState(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = r.value(0);
  if (r.offset !== bytes.length) throw new RangeError(`${bytes.length - r.offset} bytes after the state`);
  return value;
}

class Writer {
  private buffer = Buffer.alloc(1 << 16);
  private length = 0;

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new InternalError('checkpoint: the state is nested too deep (a cycle?)');
    if (v !== null && typeof v === 'object') return this.object(v, depth);
    if (v === undefined || v === null || typeof v === 'boolean') return this.byte(v === undefined ? T.UNDEFINED : v === null ? T.NULL : v ? T.TRUE : T.FALSE);
    if (typeof v === 'number') return this.number(v);
    if (typeof v === 'bigint') return this.tagged(T.BIGINT, () => this.string(v.toString()));
    if (typeof v === 'string') return this.tagged(T.STRING, () => this.string(v));
    throw new InternalError(`checkpoint: cannot save a ${typeof v}`);
  }

  private object(v: object, depth: number): void {
    if (ArrayBuffer.isView(v)) return this.typed(v);
    if (Array.isArray(v)) return this.list(T.ARRAY, v, depth);
    if (v instanceof Map) return this.pairs(T.MAP, [...v], depth, (k) => this.value(k, depth + 1));
    if (v instanceof Set) return this.list(T.SET, [...v], depth);
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new InternalError(`checkpoint: cannot save a ${proto?.constructor?.name ?? 'object'} (only plain data)`);
    this.pairs(T.OBJECT, Object.entries(v), depth, (k) => this.string(k as string));
  }

  private number(v: number): void {
    if (Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff && !Object.is(v, -0)) {
      this.byte(T.INT);
      this.room(4);
      this.length = this.buffer.writeInt32LE(v, this.length);
      return;
    }
    this.byte(T.FLOAT);
    this.room(8);
    this.length = this.buffer.writeDoubleLE(v, this.length);
  }

  private typed(v: ArrayBufferView): void {
    const kind = TYPED_KIND.get(v.constructor.name);
    if (kind === undefined) throw new InternalError(`checkpoint: cannot save a ${v.constructor.name}`);
    this.byte(T.TYPED);
    this.byte(kind);
    this.u32(v.byteLength);
    this.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }

  private list(tag: number, items: readonly unknown[], depth: number): void {
    this.byte(tag);
    this.u32(items.length);
    for (const item of items) this.value(item, depth + 1);
  }

  private pairs(tag: number, entries: ReadonlyArray<readonly [unknown, unknown]>, depth: number, key: (k: unknown) => void): void {
    this.byte(tag);
    this.u32(entries.length);
    for (const [k, v] of entries) {
      key(k);
      this.value(v, depth + 1);
    }
  }

  private tagged(tag: number, write: () => void): void {
    this.byte(tag);
    write();
  }

  private string(s: string): void {
    const length = Buffer.byteLength(s, 'utf8');
    this.u32(length);
    this.room(length);
    this.length += this.buffer.write(s, this.length, 'utf8');
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }

  private byte(b: number): void {
    this.room(1);
    this.buffer[this.length++] = b;
  }

  private u32(n: number): void {
    this.room(4);
    this.length = this.buffer.writeUInt32LE(n, this.length);
  }

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
}

class Reader {
  offset = 0;
  private readonly view: Buffer;

  constructor(bytes: Uint8Array) {
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new RangeError('nested too deep');
    const tag = this.byte();
    switch (tag) {
      case T.UNDEFINED: return undefined;
      case T.NULL: return null;
      case T.FALSE: return false;
      case T.TRUE: return true;
      case T.FLOAT: return this.take(8, (at) => this.view.readDoubleLE(at));
      case T.INT: return this.take(4, (at) => this.view.readInt32LE(at));
      case T.BIGINT: return BigInt(this.string());
      case T.STRING: return this.string();
      case T.ARRAY: return this.items(depth);
      case T.OBJECT: return this.object(depth);
      case T.MAP: return new Map(this.repeat(() => [this.value(depth + 1), this.value(depth + 1)] as const));
      case T.SET: return new Set(this.items(depth));
      case T.TYPED: return this.typed();
      default: throw new RangeError(`unknown tag ${tag} at byte ${this.offset - 1}`);
    }
  }

  private items(depth: number): unknown[] {
    return this.repeat(() => this.value(depth + 1));
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.repeat(() => {
      const key = this.string();
      out[key] = this.value(depth + 1);
    });
    return out;
  }

  private typed(): ArrayBufferView {
    const entry = TYPED[this.byte()];
    if (!entry) throw new RangeError('unknown typed array kind');
    const [, Kind, size] = entry;
    const length = this.u32();
    if (length % size !== 0) throw new RangeError('typed array length');
    const copy = new Uint8Array(this.take(length, (at) => this.view.subarray(at, at + length)));
    return new Kind(copy.buffer, 0, length / size);
  }

  private repeat<R>(read: () => R): R[] {
    const count = this.u32();
    if (count > this.view.length - this.offset) throw new RangeError('count beyond the data');
    return Array.from({ length: count }, read);
  }

  private string(): string {
    const length = this.u32();
    return this.take(length, (at) => this.view.toString('utf8', at, at + length));
  }

  private byte(): number {
    return this.take(1, (at) => this.view[at]!);
  }

  private u32(): number {
    return this.take(4, (at) => this.view.readUInt32LE(at));
  }

  private take<R>(n: number, read: (at: number) => R): R {
    if (this.offset + n > this.view.length) throw new RangeError('the data ends early');
    const at = this.offset;
    this.offset += n;
    return read(at);
  }
}
