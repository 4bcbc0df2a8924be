/**
 * The state of an object graph as plain data, and back: a small visitor for the components whose
 * state is a web of data structures (scheduling policies, the block cache's policy and memory),
 * where a hand-written snapshot would have to follow every field of every policy. The visitor
 * takes every own field (typed arrays, arrays, Maps, Sets, nested objects, primitives), skips
 * functions (closures are structure, built again by the constructor), and writes objects named
 * in `refs` (vCPUs, disk images) as their names. Restoring writes the data back INTO the live
 * objects of a freshly built system (same constructors, same options): nested instances keep
 * their class, and a class instance the live graph does not have is refused (it could not be
 * rebuilt faithfully).
 *
 * The captured data is what node:v8's serializer takes (Maps, typed arrays, bigints, -Infinity).
 */
import { InternalError } from './errors.ts';

/** A reference to an object outside the graph, by name. */
interface RefToken {
  readonly $ref: string;
}

/** An object: its class name and its fields. */
interface ObjectToken {
  readonly $class: string;
  readonly fields: Record<string, unknown>;
}

interface MapToken {
  readonly $map: ReadonlyArray<readonly [unknown, unknown]>;
}

interface SetToken {
  readonly $set: readonly unknown[];
}

/** What the visitor uses of a typed array (DataViews are not used in these graphs). */
interface TypedArray {
  readonly length: number;
  slice(): TypedArray;
  set(values: TypedArray): void;
}

/** `root`'s fields as plain data; objects in `refs` become their names. */
export function captureState(root: object, refs: ReadonlyMap<object, string> = new Map()): unknown {
  return new Capture(refs).value(root, []);
}

/** Writes `state` (from captureState) back into `root`; names resolve through `refs`. */
export function applyState(root: object, state: unknown, refs: ReadonlyMap<string, object> = new Map()): void {
  new Apply(refs).into(root, state, 'root');
}

class Capture {
  constructor(private readonly refs: ReadonlyMap<object, string>) {}

  value(v: unknown, path: readonly object[]): unknown {
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
    const ref = this.refs.get(v);
    if (ref !== undefined) return { $ref: ref } satisfies RefToken;
    if (ArrayBuffer.isView(v)) return (v as unknown as TypedArray).slice();
    if (path.includes(v)) throw new InternalError(`checkpoint: a cycle through a ${className(v)} (name it in refs)`);
    const inner = [...path, v];
    if (Array.isArray(v)) return v.map((item) => this.value(item, inner));
    if (v instanceof Map) return { $map: [...v].map(([k, x]) => [this.value(k, inner), this.value(x, inner)] as const) } satisfies MapToken;
    if (v instanceof Set) return { $set: [...v].map((x) => this.value(x, inner)) } satisfies SetToken;
    const fields: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(v)) if (typeof field !== 'function') fields[key] = this.value(field, inner);
    return { $class: className(v), fields } satisfies ObjectToken;
  }
}

class Apply {
  constructor(private readonly refs: ReadonlyMap<string, object>) {}

  /** Writes `state` into the live object `live` (same shape). */
  into(live: object, state: unknown, where: string): void {
    if (ArrayBuffer.isView(live)) return this.typedArray(live as unknown as TypedArray, state, where);
    if (Array.isArray(live)) return this.array(live, state as unknown[], where);
    if (live instanceof Map) return this.map(live, state as MapToken, where);
    if (live instanceof Set) return void this.set(live, state as SetToken);
    const token = state as ObjectToken;
    if (token?.$class !== className(live)) throw new InternalError(`checkpoint: ${where} is a ${className(live)}, the checkpoint has ${describe(state)}`);
    const target = live as Record<string, unknown>;
    for (const [key, value] of Object.entries(token.fields)) {
      const next = this.field(target[key], value, `${where}.${key}`);
      if (!Object.is(next, target[key])) target[key] = next;
    }
  }

  /** The new value of a field that holds `current` now. */
  private field(current: unknown, state: unknown, where: string): unknown {
    if (isInPlace(current, state)) {
      this.into(current as object, state, where);
      return current;
    }
    return this.fresh(state, where);
  }

  /** A new value for `state` (primitives, references, plain containers). */
  private fresh(state: unknown, where: string): unknown {
    if (state === null || typeof state !== 'object') return state;
    if (ArrayBuffer.isView(state)) return (state as unknown as TypedArray).slice();
    if (Array.isArray(state)) return state.map((item, i) => this.fresh(item, `${where}[${i}]`));
    if ('$ref' in state) return this.ref((state as RefToken).$ref, where);
    if ('$map' in state) return new Map((state as MapToken).$map.map(([k, v]) => [this.fresh(k, where), this.fresh(v, where)]));
    if ('$set' in state) return new Set((state as SetToken).$set.map((x) => this.fresh(x, where)));
    const token = state as ObjectToken;
    if (token.$class !== 'Object') throw new InternalError(`checkpoint: ${where} needs a new ${token.$class}, which cannot be rebuilt`);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(token.fields)) out[key] = this.fresh(value, `${where}.${key}`);
    return out;
  }

  private ref(name: string, where: string): object {
    const target = this.refs.get(name);
    if (!target) throw new InternalError(`checkpoint: ${where} refers to ${name}, which the restored system does not have`);
    return target;
  }

  private typedArray(live: TypedArray, state: unknown, where: string): void {
    const saved = state as TypedArray;
    if (!ArrayBuffer.isView(saved) || saved.length !== live.length) throw new InternalError(`checkpoint: ${where} has ${live.length} elements, the checkpoint ${describe(state)}`);
    live.set(saved);
  }

  private array(live: unknown[], state: unknown[], where: string): void {
    const next = state.map((item, i) => this.field(live[i], item, `${where}[${i}]`));
    live.length = next.length;
    next.forEach((item, i) => (live[i] = item));
  }

  /** Keys in the saved order; values of keys the live map has are restored in place. */
  private map(live: Map<unknown, unknown>, state: MapToken, where: string): void {
    const entries = state.$map.map(([k, v]) => {
      const key = this.fresh(k, where);
      return [key, this.field(live.get(key), v, `${where}.get(${String(key)})`)] as const;
    });
    live.clear();
    for (const [k, v] of entries) live.set(k, v);
  }

  private set(live: Set<unknown>, state: SetToken): void {
    const items = state.$set.map((x) => this.fresh(x, 'set'));
    live.clear();
    for (const x of items) live.add(x);
  }
}

/** True when `state` is restored into the live `current` (same kind of container). */
function isInPlace(current: unknown, state: unknown): boolean {
  if (current === null || typeof current !== 'object' || state === null || typeof state !== 'object') return false;
  if (ArrayBuffer.isView(current)) return ArrayBuffer.isView(state);
  if (Array.isArray(current)) return Array.isArray(state);
  if (current instanceof Map) return '$map' in state;
  if (current instanceof Set) return '$set' in state;
  return '$class' in state && (state as ObjectToken).$class === className(current);
}

function className(v: object): string {
  return Object.getPrototypeOf(v)?.constructor?.name ?? 'Object';
}

function describe(state: unknown): string {
  if (state === null || typeof state !== 'object') return String(state);
  if (ArrayBuffer.isView(state)) return `${(state as unknown as TypedArray).length} elements`;
  return '$class' in state ? `a ${(state as ObjectToken).$class}` : 'another kind of value';
}
