import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../hv/errors.ts';
import { DispatchTable } from '../../hv/trap/dispatch-table.ts';
import type { MmioDevice } from '../../hv/trap/mmio.ts';
import { thrown } from '../helpers/thrown.ts';

const device = (name: string, size: number): MmioDevice => ({ name, model: 'test', size, read: () => 0, write() {}, reset() {}, saveState: () => undefined, restoreState() {} });

describe('DispatchTable', () => {
  it('finds the device whose window holds an address, whatever order they were added in', () => {
    const t = new DispatchTable();
    const a = device('a', 0x1000), b = device('b', 0x100), c = device('c', 0x1000);
    t.add(0x40002000, c);
    t.add(0x40000000, a);
    t.add(0x40001000, b);
    expect(t.find(0x40000000)?.device).toBe(a);
    expect(t.find(0x40000fff)?.device).toBe(a);
    expect(t.find(0x400010ff)).toMatchObject({ base: 0x40001000, device: b });
    expect(t.find(0x40002abc)?.device).toBe(c);
  });

  it('returns undefined for a hole: before, between and after the windows', () => {
    const t = new DispatchTable();
    t.add(0x40000000, device('a', 0x1000));
    t.add(0x40002000, device('b', 0x1000));
    expect([t.find(0x3fffffff), t.find(0x40001000), t.find(0x40001fff), t.find(0x40003000)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(new DispatchTable().find(0)).toBeUndefined();
  });

  it('refuses an overlapping window with a ConfigError naming both devices and the base', () => {
    const t = new DispatchTable();
    t.add(0x40000000, device('uart0', 0x1000));
    const e = thrown(() => t.add(0x40000800, device('timer0', 0x1000)), ConfigError, 'HV_CONFIG');
    expect(e.message).toBe('device timer0 at 0x40000800 overlaps uart0');
    t.add(0x40001000, device('timer1', 0x1000));
  });
});
