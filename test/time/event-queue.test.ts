import { describe, expect, it } from 'vitest';
import { InternalError } from '../../hv/errors.ts';
import { EventQueue } from '../../hv/time/event-queue.ts';
import { thrown } from '../helpers/thrown.ts';

/** A queue whose events log `label@at` when they fire. */
function logging() {
  const q = new EventQueue();
  const log: string[] = [];
  const add = (at: number, label: string) => q.schedule(at, label, (t) => log.push(`${label}@${t}`));
  return { q, log, add };
}

describe('EventQueue', () => {
  it('is empty at first', () => {
    const q = new EventQueue();
    expect(q.size).toBe(0);
    expect(q.nextTime()).toBe(Infinity);
    expect(q.runDue(1e12)).toBe(0);
  });

  it('fires events in time order, whatever the scheduling order', () => {
    const { q, log, add } = logging();
    add(30, 'c');
    add(10, 'a');
    add(20, 'b');
    add(5, 'first');
    expect(q.size).toBe(4);
    expect(q.nextTime()).toBe(5);
    expect(q.runDue(100)).toBe(4);
    expect(log).toEqual(['first@5', 'a@10', 'b@20', 'c@30']);
    expect(q.size).toBe(0);
  });

  it('fires events due at the same time in scheduling order', () => {
    const { q, log, add } = logging();
    for (const label of ['p', 'q', 'r', 's', 't', 'u', 'v']) add(50, label);
    add(40, 'early');
    add(50, 'w');
    q.runDue(50);
    expect(log).toEqual(['early@40', 'p@50', 'q@50', 'r@50', 's@50', 't@50', 'u@50', 'v@50', 'w@50']);
  });

  it('fires only what is due (at or before now) and keeps the rest', () => {
    const { q, log, add } = logging();
    add(10, 'a');
    add(11, 'b');
    add(20, 'c');
    expect(q.runDue(9)).toBe(0);
    expect(q.runDue(10)).toBe(1);
    expect(log).toEqual(['a@10']);
    expect(q.nextTime()).toBe(11);
    expect(q.size).toBe(2);
    expect(q.runDue(19)).toBe(1);
    expect(q.nextTime()).toBe(20);
  });

  it('passes each event its own due time, not the time of the run', () => {
    const { q, log, add } = logging();
    add(3, 'x');
    q.runDue(1000);
    expect(log).toEqual(['x@3']);
  });

  it('does not fire a cancelled event and skips it in nextTime', () => {
    const { q, log, add } = logging();
    const a = add(10, 'a');
    add(20, 'b');
    const c = add(30, 'c');
    q.cancel(a);
    q.cancel(c);
    expect(q.size).toBe(1);
    expect(q.nextTime()).toBe(20);
    q.runDue(100);
    expect(log).toEqual(['b@20']);
    expect(q.nextTime()).toBe(Infinity);
  });

  it('cancel is idempotent and harmless for undefined and fired events', () => {
    const { q, add } = logging();
    const a = add(10, 'a');
    const b = add(20, 'b');
    q.cancel(a);
    q.cancel(a);
    q.cancel(undefined);
    expect(q.size).toBe(1);
    q.runDue(20);
    expect(q.size).toBe(0);
    q.cancel(b); // already fired
    expect(q.size).toBe(0);
    add(5, 'c');
    expect(q.size).toBe(1);
  });

  it('returns a handle that names the event and its time', () => {
    const q = new EventQueue();
    const e = q.schedule(123, 'timer0 reload', () => {});
    expect(e.at).toBe(123);
    expect(e.label).toBe('timer0 reload');
  });

  it('fires events scheduled while firing when they are due, in order', () => {
    const q = new EventQueue();
    const log: string[] = [];
    q.schedule(10, 'periodic', function tick(t) {
      log.push(`tick@${t}`);
      if (t < 40) q.schedule(t + 10, 'periodic', tick);
    });
    q.schedule(25, 'other', (t) => log.push(`other@${t}`));
    expect(q.runDue(35)).toBe(4);
    expect(log).toEqual(['tick@10', 'tick@20', 'other@25', 'tick@30']);
    expect(q.nextTime()).toBe(40);
    expect(q.size).toBe(1);
    q.runDue(100);
    expect(log.slice(4)).toEqual(['tick@40']);
    expect(q.size).toBe(0);
  });

  it('an event scheduled while firing for the same time fires after the ones already queued', () => {
    const q = new EventQueue();
    const log: string[] = [];
    q.schedule(10, 'a', () => {
      log.push('a');
      q.schedule(10, 'late', () => log.push('late'));
      q.schedule(5, 'past', () => log.push('past'));
    });
    q.schedule(10, 'b', () => log.push('b'));
    q.runDue(10);
    // 'past' is due earlier than 'b', so it goes first; 'late' ties with 'b' but came later.
    expect(log).toEqual(['a', 'past', 'b', 'late']);
  });

  it('an event cancelled by an earlier one while firing does not fire', () => {
    const q = new EventQueue();
    const log: string[] = [];
    const victim = q.schedule(20, 'victim', () => log.push('victim'));
    q.schedule(10, 'killer', () => {
      log.push('killer');
      q.cancel(victim);
    });
    expect(q.runDue(30)).toBe(1);
    expect(log).toEqual(['killer']);
    expect(q.size).toBe(0);
  });

  it('keeps heap order over many interleaved schedules, cancels and runs', () => {
    const q = new EventQueue();
    const fired: Array<[number, number]> = [];
    const live = new Map<number, { at: number; handle: ReturnType<EventQueue['schedule']> }>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 48271) % 0x7fffffff;
      return seed % n;
    };
    let now = 0;
    for (let id = 0; id < 2000; id++) {
      const at = now + rand(500);
      live.set(id, { at, handle: q.schedule(at, `e${id}`, (t) => fired.push([t, id])) });
      if (rand(4) === 0) {
        const victim = [...live.keys()][rand(live.size)]!;
        q.cancel(live.get(victim)!.handle);
        live.delete(victim);
      }
      if (rand(10) === 0) {
        now += rand(200);
        const due = [...live.entries()].filter(([, e]) => e.at <= now);
        const before = fired.length;
        q.runDue(now);
        const expected = due.map(([i, e]) => [e.at, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(fired.slice(before)).toEqual(expected);
        for (const [i] of due) live.delete(i);
      }
      expect(q.size).toBe(live.size);
    }
    const next = Math.min(...[...live.values()].map((e) => e.at));
    expect(q.nextTime()).toBe(next);
  });
});

describe('EventQueue checkpoints', () => {
  /** Three events, two of them at the same time (their order is the scheduling order). */
  function saved() {
    const { q, add } = logging();
    add(20, 'b');
    add(10, 'a');
    add(20, 'c');
    const dropped = add(15, 'gone');
    q.cancel(dropped);
    return q.saveState();
  }

  it('saves the live events in firing order with their sequence numbers', () => {
    expect(saved()).toEqual({ seq: 4, events: [{ at: 10, seq: 1, label: 'a' }, { at: 20, seq: 0, label: 'b' }, { at: 20, seq: 2, label: 'c' }] });
  });

  it('gives re-created events their saved places, whatever order their owners re-create them in', () => {
    const { q, log, add } = logging();
    add(5, 'from before the restore');
    q.beginRestore(saved());
    add(20, 'c');
    add(10, 'a');
    add(20, 'b');
    q.endRestore('test');
    add(20, 'new');
    q.runDue(30);
    expect(log).toEqual(['a@10', 'b@20', 'c@20', 'new@20']);
  });

  it('refuses a restore that leaves out a saved event or makes one that was not saved', () => {
    const missing = logging();
    missing.q.beginRestore(saved());
    missing.add(10, 'a');
    missing.add(20, 'b');
    expect(thrown(() => missing.q.endRestore('vm x'), InternalError).message).toBe("checkpoint restore of vm x: event 'c' at 20 was not re-created");
    const extra = logging();
    extra.q.beginRestore(saved());
    for (const label of ['a', 'b', 'c']) extra.add(label === 'a' ? 10 : 20, label);
    extra.add(20, 'd');
    expect(thrown(() => extra.q.endRestore('vm y'), InternalError).message).toBe("checkpoint restore of vm y: event 'd' at 20 was not saved");
  });

  it('lets an owner cancel and re-create an event while it restores', () => {
    const { q, log, add } = logging();
    q.beginRestore(saved());
    q.cancel(add(20, 'b'));
    add(10, 'a');
    add(20, 'c');
    add(20, 'b');
    q.endRestore('test');
    q.runDue(20);
    expect(log).toEqual(['a@10', 'b@20', 'c@20']);
  });
});
