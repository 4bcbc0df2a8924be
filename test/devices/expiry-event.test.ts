import { describe, expect, it } from 'vitest';
import { ExpiryEvent } from '../../devices/expiry-event.ts';
import { FakeTime } from '../helpers/fake-time.ts';

function rig() {
  const time = new FakeTime();
  const fired: number[] = [];
  const scheduled: Array<[number, string]> = [];
  const schedule = time.schedule.bind(time);
  time.schedule = (at, label, fire) => {
    scheduled.push([at, label]);
    return schedule(at, label, fire);
  };
  const expiry = new ExpiryEvent(time, 'timer0 expiry', (when) => fired.push(when));
  return { time, fired, scheduled, expiry };
}

describe('ExpiryEvent', () => {
  it('keeps one event: a new time replaces the old one, the same time leaves it alone', () => {
    const { time, fired, scheduled, expiry } = rig();
    expiry.at(100);
    expiry.at(100);
    expect(scheduled).toEqual([[100, 'timer0 expiry']]);
    expiry.at(50);
    expect([time.pending, time.next]).toEqual([1, 50]);
    time.advanceTo(200);
    expect(fired).toEqual([50]);
  });

  it('schedules nothing for undefined and cancels what was there', () => {
    const { time, fired, expiry } = rig();
    expiry.at(10);
    expiry.at(undefined);
    expect(time.pending).toBe(0);
    expiry.at(20);
    expiry.cancel();
    time.advanceTo(100);
    expect(fired).toEqual([]);
  });

  it('forgets a fired event, so the same time can be scheduled again', () => {
    const { time, fired, expiry } = rig();
    expiry.at(10);
    time.advanceTo(10);
    expiry.at(10);
    expect(time.pending).toBe(1);
    time.advanceTo(11);
    expect(fired).toEqual([10, 10]);
  });
});
