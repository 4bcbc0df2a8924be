import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError } from '../../../hv/errors.ts';
import { readTrace } from '../../../hv/storage/sim/trace-file.ts';
import type { TraceRecord } from '../../../hv/storage/sim/trace.ts';
import { makeTempDir } from '../../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-trace-');
afterAll(() => tmp.remove());

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

function collect(path: string, format?: 'msr' | 'csv') {
  const records: TraceRecord[] = [];
  const chains: [string, readonly string[]][] = [];
  const detected = readTrace(path, { record: (r) => records.push({ ...r }), chain: (vm, images) => chains.push([vm, images]) }, { format });
  return { records, chains, detected };
}

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

const MSR = [
  '128166372003061629,hm,1,Read,3218764800,4096,4202',
  '128166372003061729,hm,1,Write,3218768896,512,133',
  '128166372013061629,prxy,0,Read,100,8192,1200',
  '',
].join('\n');

describe('MSR Cambridge reader', () => {
  it('reads Timestamp (filetime, 100 ns) into cycles since the first request, Type, Offset, Size', () => {
    const { records, detected } = collect(file('msr.csv', MSR));
    expect(detected).toBe('msr');
    expect(records).toEqual([
      { time: 0, vm: 'hm', write: false, image: 'hm.1', offset: 3218764800, size: 4096 },
      { time: 250, vm: 'hm', write: true, image: 'hm.1', offset: 3218768896, size: 512 },
      { time: 25_000_000, vm: 'prxy', write: false, image: 'prxy.0', offset: 100, size: 8192 },
    ]);
  });

  it('names the file, line and field of a malformed line', () => {
    const path = file('bad-msr.csv', `${MSR.trim()}\n128166372013061700,hm,1,Erase,0,4096,1\n`);
    const error = errorOf(() => collect(path));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${path}:4: Type: expected Read or Write, got "Erase"`);
    const offset = file('bad-offset.csv', '128166372003061629,hm,1,Read,-5,4096,4202\n');
    expect(errorOf(() => collect(offset)).message).toBe(`${offset}:1: Offset: expected a non-negative integer below 2^53, got "-5"`);
    const huge = file('huge-offset.csv', '128166372003061629,hm,1,Read,9007199254740993,4096,4202\n');
    expect(errorOf(() => collect(huge)).message).toBe(`${huge}:1: Offset: expected a non-negative integer below 2^53, got "9007199254740993"`);
    const short = file('short.csv', '128166372003061629,hm,1,Read,0\n');
    expect(errorOf(() => collect(short, 'msr')).message).toMatch(/short\.csv:1: expected 7 fields/);
  });
});

const HVLAB = [
  '# a comment',
  '#! chain vm01 vm01.qcow2 base.img',
  '#! chain vm02 vm02.qcow2 base.img',
  'time_us,vm,op,image,offset,size',
  '0,vm01,R,base.img,0,4096',
  '12.5,vm02,R,base.img,0,8192',
  '20,vm01,W,vm01.qcow2,4096,512',
  '',
].join('\n');

describe('hvlab CSV reader', () => {
  it('reads chains, skips comments and the header, converts microseconds to cycles', () => {
    const { records, chains, detected } = collect(file('h.csv', HVLAB));
    expect(detected).toBe('csv');
    expect(chains).toEqual([
      ['vm01', ['vm01.qcow2', 'base.img']],
      ['vm02', ['vm02.qcow2', 'base.img']],
    ]);
    expect(records).toEqual([
      { time: 0, vm: 'vm01', write: false, image: 'base.img', offset: 0, size: 4096 },
      { time: 312.5, vm: 'vm02', write: false, image: 'base.img', offset: 0, size: 8192 },
      { time: 500, vm: 'vm01', write: true, image: 'vm01.qcow2', offset: 4096, size: 512 },
    ]);
  });

  it('names the file, line and field of a malformed line', () => {
    const cases: [string, string][] = [
      ['0,vm01,X,base.img,0,4096', 'op: expected R or W, got "X"'],
      ['0,vm01,R,base.img,zero,4096', 'offset: expected a non-negative integer below 2^53, got "zero"'],
      ['0,vm01,R,base.img,0,0', 'size: expected a positive byte count, got 0'],
      ['-1,vm01,R,base.img,0,4096', 'time_us: expected a non-negative decimal number below 2^53, got "-1"'],
      ['1e400,vm01,R,base.img,0,4096', 'time_us: expected a non-negative decimal number below 2^53, got "1e400"'],
      ['0x10,vm01,R,base.img,0,4096', 'time_us: expected a non-negative decimal number below 2^53, got "0x10"'],
      ['0,vm01,R,,0,4096', 'image: empty'],
      ['0,vm01,R,base.img,0', 'expected 6 fields (time_us,vm,op,image,offset,size), got 5'],
      ['#! chain vm01', 'expected "#! chain <vm> <top-image> [<backing-image> ...]"'],
    ];
    for (const [line, message] of cases) {
      const path = file('bad.csv', `time_us,vm,op,image,offset,size\n0,vm01,R,base.img,0,4096\n${line}\n`);
      const error = errorOf(() => collect(path));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(`${path}:3: ${message}`);
    }
  });

  it('reports a file it cannot detect or read', () => {
    const odd = file('odd.txt', 'hello world\n');
    expect(errorOf(() => collect(odd)).message).toMatch(/odd\.txt:1: cannot tell the trace format/);
    expect(errorOf(() => collect(tmp.dir)).message).toBe(`${tmp.dir}: cannot read trace: not a regular file (a directory)`);
    expect(errorOf(() => collect('/dev/zero')).message).toBe('/dev/zero: cannot read trace: not a regular file (a device, pipe or socket)');
    const missing = join(tmp.dir, 'missing.csv');
    const error = errorOf(() => collect(missing));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`${missing}: cannot read trace: ENOENT`);
  });

  it('reads lines that straddle the 1 MiB read chunks and CRLF line ends', () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `${i},vm01,R,base.img,${i * 4096},4096`);
    const { records } = collect(file('big.csv', `${lines.join('\r\n')}\r\n`));
    expect(records).toHaveLength(60_000);
    expect(records[59_999]!.offset).toBe(59_999 * 4096);
  });
});
