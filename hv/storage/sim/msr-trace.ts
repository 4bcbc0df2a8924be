/**
 * MSR Cambridge block traces (SNIA IOTTA, "MSR Cambridge Traces", D. Narayanan, A. Donnelly and
 * A. Rowstron, FAST 2008): CSV lines `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`
 * without a header, Timestamp a Windows filetime (100 ns ticks since 1601), Type Read or Write,
 * Offset and Size in bytes. Each (Hostname, DiskNumber) is one image named `host.disk`, read by
 * VM `host`; nothing is shared, so every reference count is 1.
 */
import { ConfigError } from '../../errors.ts';
import { CLOCK_HZ } from '../cache/disk-timing.ts';
import { parseUint, type TraceRecord, UINT_EXPECTED } from './trace.ts';

const CYCLES_PER_TICK = CLOCK_HZ / 10_000_000;

export class MsrParser {
  private readonly record: TraceRecord = { time: 0, vm: '', write: false, image: '', offset: 0, size: 0 };
  /** The first timestamp, split in two exact halves (filetimes exceed 2^53). */
  private firstHigh = -1;
  private firstLow = 0;

  /** The record on `line`, or null for a blank line or a header. Throws ConfigError naming the field. */
  parse(line: string, where: string): TraceRecord | null {
    if (line.trim() === '' || line.startsWith('Timestamp,')) return null;
    const f = line.split(',');
    if (f.length !== 7) throw new ConfigError(`${where}: expected 7 fields (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime), got ${f.length}`);
    const r = this.record;
    r.time = this.cycles(timestamp(f[0]!, where));
    const host = f[1]!.trim();
    if (host === '') throw new ConfigError(`${where}: Hostname: empty`);
    const disk = field(f, 2, 'DiskNumber', where);
    r.write = type(f[3]!, where);
    r.offset = field(f, 4, 'Offset', where);
    r.size = field(f, 5, 'Size', where);
    r.vm = host;
    r.image = `${host}.${disk}`;
    return r;
  }

  private cycles(text: string): number {
    const high = Number(text.slice(0, -9) || '0');
    const low = Number(text.slice(-9));
    if (this.firstHigh < 0) {
      this.firstHigh = high;
      this.firstLow = low;
    }
    return ((high - this.firstHigh) * 1e9 + (low - this.firstLow)) * CYCLES_PER_TICK;
  }
}

/** Timestamps have 18 digits, more than a double holds exactly: they stay text until split. */
function timestamp(raw: string, where: string): string {
  const text = raw.trim();
  if (!/^\d{1,20}$/.test(text)) throw new ConfigError(`${where}: Timestamp: expected a non-negative integer, got "${text}"`);
  return text;
}

function field(fields: string[], index: number, name: string, where: string): number {
  const text = fields[index]!.trim();
  const n = parseUint(text);
  if (n < 0) throw new ConfigError(`${where}: ${name}: ${UINT_EXPECTED}, got "${text}"`);
  return n;
}

function type(text: string, where: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'read') return false;
  if (t === 'write') return true;
  throw new ConfigError(`${where}: Type: expected Read or Write, got "${text.trim()}"`);
}
