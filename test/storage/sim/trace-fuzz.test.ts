/**
 * Seeded mutation fuzzing of the trace readers (MSR Cambridge and hvlab CSV) through the whole
 * simulator: small valid traces get fields replaced by hostile values (signs, exponents, hex,
 * 2^53 and beyond, terabyte sizes, empty and huge strings), characters inserted, deleted or
 * flipped, lines duplicated, swapped or cut, and stray chain lines. Replaying each one against
 * every policy and MIN may only end normally or with an InputError whose one-line message names
 * the file: no other exception (0 internal errors allowed).
 *
 * CI runs 1,000 cases per format; `npm run fuzz:traces` runs a longer campaign, and
 * FUZZ_CASES / FUZZ_SEED choose the size and seed by hand (as for the other fuzzers, test/fuzz).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../hv/errors.ts';
import { POLICY_NAMES } from '../../../hv/storage/cache/policy.ts';
import { Prng } from '../../../hv/storage/sim/prng.ts';
import { simulate } from '../../../hv/storage/sim/simulate.ts';
import { readTrace } from '../../../hv/storage/sim/trace-file.ts';
import type { TraceFormat } from '../../../hv/storage/sim/trace.ts';
import { makeTempDir } from '../../helpers/hv-cli.ts';

const CASES = Number(process.env['FUZZ_CASES'] ?? 1000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 0x7ace);
const tmp = makeTempDir('hvlab-trace-fuzz-');
afterAll(() => tmp.remove());

const HOSTILE = [
  '', ' ', '-1', '-0', '+5', '0', '1e400', '1e3', 'NaN', 'Infinity', '0x10', '0b1', '1_000', '4.5', '.5', '5.',
  '9007199254740991', '9007199254740992', '9007199254740993', '99999999999999999999', '1099511627776', '18446744073709551616',
  'Read', 'Write', 'R', 'W', 'r', 'w', 'x', '#', '#!', '"', 'é', '\u0000', '\ufeff', 'a'.repeat(5000), '1'.repeat(40),
];

function validMsr(rng: Prng): string[] {
  const lines: string[] = [];
  let time = 128166372003061629n;
  for (let i = 0; i < 3 + rng.below(12); i++) {
    time += BigInt(rng.below(100_000));
    const size = 512 * (1 + rng.below(64));
    lines.push(`${time},${['hm', 'web', 'prxy'][rng.below(3)]},${rng.below(3)},${rng.chance(0.3) ? 'Write' : 'Read'},${512 * rng.below(1 << 20)},${size},${rng.below(9000)}`);
  }
  return lines;
}

function validHvlab(rng: Prng): string[] {
  const lines = ['# fuzz', '#! chain vm01 vm01.qcow2 base.img', '#! chain vm02 vm02.qcow2 base.img', 'time_us,vm,op,image,offset,size'];
  let time = 0;
  for (let i = 0; i < 3 + rng.below(12); i++) {
    time += rng.below(500) / 4;
    const vm = `vm0${1 + rng.below(2)}`;
    const write = rng.chance(0.3);
    lines.push(`${time},${vm},${write ? 'W' : 'R'},${write || rng.chance(0.2) ? `${vm}.qcow2` : 'base.img'},${4096 * rng.below(4096)},${512 * (1 + rng.below(64))}`);
  }
  return lines;
}

/** One mutation of the trace's lines, in place. */
function mutate(lines: string[], rng: Prng): void {
  const at = rng.below(lines.length);
  const line = lines[at]!;
  const fields = line.split(',');
  switch (rng.below(9)) {
    case 0:
    case 1:
      fields[rng.below(fields.length)] = HOSTILE[rng.below(HOSTILE.length)]!;
      lines[at] = fields.join(',');
      break;
    case 2:
      lines[at] = fields.slice(0, rng.below(fields.length + 1)).join(',');
      break;
    case 3:
      lines[at] = `${line},${HOSTILE[rng.below(HOSTILE.length)]}`;
      break;
    case 4: {
      const i = rng.below(line.length + 1);
      lines[at] = line.slice(0, i) + String.fromCharCode(rng.below(128)) + line.slice(i + rng.below(2));
      break;
    }
    case 5:
      lines.splice(rng.below(lines.length), 0, line);
      break;
    case 6:
      lines.splice(at, 1);
      break;
    case 7:
      lines.splice(rng.below(lines.length), 0, `#! ${['chain', 'chain vm01', 'chain vm03 a b c', 'bogus'][rng.below(4)]}`);
      break;
    default:
      lines[at] = line.replace(/\d+/, String(2 ** (20 + rng.below(40))));
  }
}

function traceText(format: TraceFormat, rng: Prng): string {
  const lines = format === 'msr' ? validMsr(rng) : validHvlab(rng);
  for (let m = 1 + rng.below(4); m > 0 && lines.length > 0; m--) mutate(lines, rng);
  const ending = rng.chance(0.2) ? '\r\n' : '\n';
  return lines.join(ending) + (rng.chance(0.8) ? ending : '');
}

type Outcome = 'replayed' | 'refused';

function exercise(file: string, format: TraceFormat | undefined, capacity: number): Outcome {
  try {
    simulate((consumer) => readTrace(file, consumer, { format }), { policies: [...POLICY_NAMES, 'min'] }, [capacity, capacity * 4]);
    return 'replayed';
  } catch (error) {
    const ok = error instanceof InputError && error.message.startsWith(`${file}:`) && !error.message.includes('\n');
    if (!ok) throw error;
    return 'refused';
  }
}

describe('trace reader fuzzing', () => {
  it.each<TraceFormat>(['msr', 'csv'])(`${CASES} mutated %s traces end normally or with a one-line InputError`, { timeout: 3_600_000 }, (format) => {
    const rng = new Prng(SEED + (format === 'msr' ? 1 : 2));
    const file = join(tmp.dir, `case.${format}`);
    const outcomes: Record<Outcome, number> = { replayed: 0, refused: 0 };
    const failures: string[] = [];
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const text = traceText(format, rng);
      writeFileSync(file, text);
      const started = performance.now();
      try {
        outcomes[exercise(file, rng.chance(0.5) ? format : undefined, 8 + rng.below(64))]++;
      } catch (error) {
        failures.push(`case ${i}: ${(error as Error).stack}\n--- trace ---\n${text.slice(0, 2000)}`);
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    console.log(`trace fuzz (${format}): seed ${SEED}, ${CASES} cases; replayed ${outcomes.replayed}, refused ${outcomes.refused}; slowest case ${slowest.toFixed(0)} ms`);
    expect(failures.slice(0, 3)).toEqual([]);
    expect(outcomes.replayed).toBeGreaterThan(CASES / 10);
    expect(outcomes.refused).toBeGreaterThan(CASES / 10);
  });
});
