import { describe, expect, it } from 'vitest';
import { type DiskTiming, ReadCostMeter, SD_SPI, copyCycles, customDiskTiming, deviceReadCycles } from '../../../hv/storage/cache/disk-timing.ts';

const SEEKING: DiskTiming = { ...SD_SPI, name: 'test', seekCycles: 1000 };

describe('disk timing', () => {
  it('prices a device read as command + sectors (+ seek) and a hit as lookup + copy', () => {
    expect(deviceReadCycles(SD_SPI, 8, false)).toBe(6250 + 8 * 4120);
    expect(deviceReadCycles(SEEKING, 8, false)).toBe(6250 + 1000 + 8 * 4120);
    expect(deviceReadCycles(SEEKING, 8, true)).toBe(6250 + 8 * 4120);
    expect(copyCycles(SD_SPI, 4096)).toBe(128 * 18);
    expect(copyCycles(SD_SPI, 1)).toBe(18);
  });

  it('fetches consecutive missed blocks with one command and seeks only when not sequential', () => {
    const meter = new ReadCostMeter(SEEKING, 8);
    const copy = SEEKING.hitLookupCycles + copyCycles(SEEKING, 4096);
    meter.begin();
    meter.miss(1, 10, 4096);
    meter.miss(1, 11, 4096);
    meter.hit(4096);
    meter.miss(1, 13, 4096);
    // Run 10-11 (a seek: nothing read before), then 13 alone (a seek: 12 was not read).
    expect(meter.end()).toBe(2 * (6250 + 1000) + 3 * 8 * 4120 + 4 * copy);
    meter.begin();
    meter.miss(1, 14, 4096); // continues where the last device read ended
    expect(meter.end()).toBe(6250 + 8 * 4120 + copy);
    meter.begin();
    meter.miss(2, 15, 4096); // the next block number, but of another image: a seek
    expect(meter.end()).toBe(6250 + 1000 + 8 * 4120 + copy);
  });

  it('documents a source for every parameter', () => {
    for (const name of ['commandCycles', 'perSectorCycles', 'seekCycles', 'hitLookupCycles', 'copyCyclesPer32Bytes']) {
      expect(SD_SPI.sources[name]).toMatch(/\w+/);
    }
  });

  it('replaces only the parameters a system file sets, and says so in the sources', () => {
    expect(customDiskTiming(SD_SPI, {})).toBe(SD_SPI);
    const custom = customDiskTiming(SD_SPI, { seekCycles: 5000, commandCycles: undefined });
    expect(custom.seekCycles).toBe(5000);
    expect(custom.commandCycles).toBe(SD_SPI.commandCycles);
    expect(custom.perSectorCycles).toBe(SD_SPI.perSectorCycles);
    expect(custom.name).toBe('sd-spi (custom)');
    expect(custom.sources['seekCycles']).toBe('set in the system file');
    expect(custom.sources['commandCycles']).toBe(SD_SPI.sources['commandCycles']);
    expect(SD_SPI.seekCycles).toBe(0);
  });
});
