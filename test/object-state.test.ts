/**
 * The object-state visitor: an object graph's data saved (through node:v8, as a checkpoint
 * holds it) and written back into a freshly built graph of the same classes; objects named in
 * refs cross as names; what cannot be rebuilt faithfully is refused.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../hv/errors.ts';
import { applyState, captureState } from '../hv/object-state.ts';
import { thrown } from './helpers/thrown.ts';

class Vcpu {
  constructor(readonly name: string) {}
}

class Queue {
  readonly items: Vcpu[] = [];
  current = -1;
  sliceEnd = 0;
}

class Policy {
  readonly queues = new Map<number, Queue>();
  readonly rates = new Map<Vcpu, number>();
  readonly heavy = new Set<Vcpu>();
  readonly counts = new Float64Array(4);
  readonly budget = { left: 100n, last: Number.NEGATIVE_INFINITY };
  turn: { vcpu: Vcpu; end: number } | undefined;
  readonly weight = (v: Vcpu) => v.name.length;
}

function graph(): { policy: Policy; a: Vcpu; b: Vcpu; refs: Map<Vcpu, string> } {
  const a = new Vcpu('a');
  const b = new Vcpu('b');
  return { policy: new Policy(), a, b, refs: new Map([[a, 'vm a'], [b, 'vm b']]) };
}

describe('object state', () => {
  it('writes the saved data back into a fresh graph: classes kept, references resolved', () => {
    const saved = graph();
    const q = new Queue();
    q.items.push(saved.b, saved.a);
    q.current = 1;
    q.sliceEnd = 2500;
    saved.policy.queues.set(1, q);
    saved.policy.rates.set(saved.b, 300).set(saved.a, 7);
    saved.policy.heavy.add(saved.b);
    saved.policy.counts.set([1.5, -2, 3, 4]);
    saved.policy.budget.left = 2n ** 70n;
    saved.policy.turn = { vcpu: saved.a, end: 99 };
    const state = deserialize(serialize(captureState(saved.policy, saved.refs)));

    const fresh = graph();
    fresh.policy.queues.set(1, new Queue());
    const liveQueue = fresh.policy.queues.get(1)!;
    const counts = fresh.policy.counts;
    applyState(fresh.policy, state, new Map([...fresh.refs].map(([v, n]) => [n, v])));
    expect(fresh.policy.queues.get(1)).toBe(liveQueue);
    expect(liveQueue).toBeInstanceOf(Queue);
    expect(liveQueue.items).toEqual([fresh.b, fresh.a]);
    expect(liveQueue.items[0]).toBe(fresh.b);
    expect([liveQueue.current, liveQueue.sliceEnd]).toEqual([1, 2500]);
    expect([...fresh.policy.rates]).toEqual([[fresh.b, 300], [fresh.a, 7]]);
    expect([...fresh.policy.heavy][0]).toBe(fresh.b);
    expect(fresh.policy.counts).toBe(counts);
    expect([...counts]).toEqual([1.5, -2, 3, 4]);
    expect(fresh.policy.budget).toEqual({ left: 2n ** 70n, last: Number.NEGATIVE_INFINITY });
    expect(fresh.policy.turn).toEqual({ vcpu: fresh.a, end: 99 });
    expect(fresh.policy.turn!.vcpu).toBe(fresh.a);
    expect(fresh.policy.weight(fresh.a)).toBe(1);
  });

  it('refuses a class instance the fresh graph does not have, and a reference it cannot resolve', () => {
    const saved = graph();
    saved.policy.queues.set(3, new Queue());
    const state = captureState(saved.policy, saved.refs);
    expect(thrown(() => applyState(graph().policy, state, new Map()), InternalError).message).toMatch(/needs a new Queue, which cannot be rebuilt/);
    const refs = graph();
    refs.policy.rates.set(refs.a, 1);
    expect(thrown(() => applyState(graph().policy, captureState(refs.policy, refs.refs), new Map()), InternalError).message).toMatch(/refers to vm a/);
  });

  it('refuses a cycle instead of following it for ever', () => {
    const a: Record<string, unknown> = {};
    a['self'] = { back: a };
    expect(thrown(() => captureState(a), InternalError).message).toMatch(/a cycle through a Object/);
  });
});
