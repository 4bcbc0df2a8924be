/**
 * hvlab's own trace format, a CSV that names the image file holding the data so that shared
 * base-image blocks are visible (see README.md in hv/storage/cache):
 *
 *   # comment
 *   #! chain vm01 vm01.qcow2 base.img        (a VM's disk chain, top image first; optional)
 *   time_us,vm,op,image,offset,size          (header; optional)
 *   0,vm01,R,base.img,0,4096
 *
 * time_us: microseconds since the trace start (a decimal number); vm: who issued the request;
 * op: R or W; image: the file that holds the data (a read through an overlay of a block the
 * overlay does not hold names the base image; a write names the VM's top image); offset, size:
 * bytes in that image, size > 0.
 */
import { ConfigError } from '../../errors.ts';
import { CLOCK_HZ } from '../cache/disk-timing.ts';
import { parseUint, type TraceRecord, UINT_EXPECTED } from './trace.ts';

export const HVLAB_HEADER = 'time_us,vm,op,image,offset,size';
const CYCLES_PER_US = CLOCK_HZ / 1_000_000;

export type HvlabLine = { kind: 'record'; record: TraceRecord } | { kind: 'chain'; vm: string; images: string[] } | null;

export class HvlabParser {
  private readonly record: TraceRecord = { time: 0, vm: '', write: false, image: '', offset: 0, size: 0 };

  /** What `line` holds (null for blank lines, comments and the header). Throws ConfigError. */
  parse(line: string, where: string): HvlabLine {
    if (line.startsWith('#!')) return chain(line, where);
    if (line.startsWith('#') || line.trim() === '' || line.startsWith('time_us,')) return null;
    const f = line.split(',');
    if (f.length !== 6) throw new ConfigError(`${where}: expected 6 fields (${HVLAB_HEADER}), got ${f.length}`);
    const r = this.record;
    r.time = micros(f[0]!.trim(), where) * CYCLES_PER_US;
    r.vm = name(f[1]!, 'vm', where);
    r.write = op(f[2]!, where);
    r.image = name(f[3]!, 'image', where);
    r.offset = uint(f[4]!, 'offset', where);
    r.size = uint(f[5]!, 'size', where);
    if (r.size === 0) throw new ConfigError(`${where}: size: expected a positive byte count, got 0`);
    return { kind: 'record', record: r };
  }
}

/** One trace line in this format (the generators' output). */
export function hvlabLine(timeUs: number, vm: string, write: boolean, image: string, offset: number, size: number): string {
  return `${timeUs},${vm},${write ? 'W' : 'R'},${image},${offset},${size}\n`;
}

export function hvlabChainLine(vm: string, images: readonly string[]): string {
  return `#! chain ${vm} ${images.join(' ')}\n`;
}

function chain(line: string, where: string): HvlabLine {
  const words = line.slice(2).trim().split(/\s+/);
  if (words[0] !== 'chain' || words.length < 3) throw new ConfigError(`${where}: expected "#! chain <vm> <top-image> [<backing-image> ...]"`);
  return { kind: 'chain', vm: words[1]!, images: words.slice(2) };
}

/** A decimal number of microseconds (digits, optionally a fraction): no signs, exponents or hex. */
function micros(text: string, where: string): number {
  const value = /^\d{1,16}(\.\d{1,9})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= Number.MAX_SAFE_INTEGER)) throw new ConfigError(`${where}: time_us: expected a non-negative decimal number below 2^53, got "${text}"`);
  return value;
}

function name(text: string, field: string, where: string): string {
  const t = text.trim();
  if (t === '') throw new ConfigError(`${where}: ${field}: empty`);
  return t;
}

function op(text: string, where: string): boolean {
  const t = text.trim();
  if (t === 'R' || t === 'r') return false;
  if (t === 'W' || t === 'w') return true;
  throw new ConfigError(`${where}: op: expected R or W, got "${t}"`);
}

function uint(text: string, field: string, where: string): number {
  const n = parseUint(text.trim());
  if (n < 0) throw new ConfigError(`${where}: ${field}: ${UINT_EXPECTED}, got "${text.trim()}"`);
  return n;
}
