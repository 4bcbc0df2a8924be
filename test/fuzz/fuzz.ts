/**
 * The seeded fuzz harness: a campaign runs N cases, each from its own seed (so one case can be
 * replayed alone with FUZZ_SEED and FUZZ_ONLY), counts the outcomes, and collects every case
 * that ended in anything but an expected outcome. CI runs FUZZ_CASES=1000 (the default);
 * `npm run fuzz` runs 100,000 per fuzzer.
 */
import { Prng } from '../../hv/storage/sim/prng.ts';

/** Cases per fuzzer. */
export const CASES = Number(process.env['FUZZ_CASES'] ?? 1000);
/** The campaign seed; case i uses caseSeed(SEED, i). */
export const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed);
/** Run only this case index (to replay a failure). */
const ONLY = process.env['FUZZ_ONLY'] === undefined ? undefined : Number(process.env['FUZZ_ONLY']);

/** A vitest timeout that grows with the campaign: `perCaseMs` per case plus a minute. */
export function campaignTimeout(perCaseMs: number): number {
  return 60_000 + CASES * perCaseMs;
}

export function caseSeed(seed: number, index: number): number {
  return (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

export interface CampaignResult {
  readonly counts: ReadonlyMap<string, number>;
  /** "case 17 (seed 0x...): <what happened>" for every unexpected outcome (the first 20). */
  readonly failures: readonly string[];
  readonly seconds: number;
}

/**
 * Runs `one` for every case. It returns an outcome label for an expected result and throws for
 * an unexpected one (the message says what happened).
 */
export async function campaign(name: string, one: (rng: Prng, index: number) => string | Promise<string>): Promise<CampaignResult> {
  const counts = new Map<string, number>();
  const failures: string[] = [];
  const started = performance.now();
  for (let i = ONLY ?? 0; i < (ONLY === undefined ? CASES : ONLY + 1); i++) {
    const seed = caseSeed(SEED, i);
    try {
      const outcome = await one(new Prng(seed), i);
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    } catch (error) {
      if (failures.length < 20) failures.push(`case ${i} (FUZZ_SEED=${SEED} FUZZ_ONLY=${i}): ${(error as Error)?.stack ?? String(error)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`${name} fuzz: seed ${SEED}, ${CASES} cases in ${seconds.toFixed(1)} s; ${summary}; ${failures.length} unexpected`);
  return { counts, failures, seconds };
}

/** One of `items`. */
export function pick<T>(rng: Prng, items: readonly T[]): T {
  return items[rng.below(items.length)]!;
}

/** Values that break assumptions: boundaries, huge, negative, wrong types. */
export const INTERESTING_NUMBERS = [0, 1, -1, 2, 7, 63, 64, 65, 99, 100, 113, 114, 511, 512, 1023, 1024, 4096, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -1e300, 0.5, -0.0];

export const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x20000000, 0x20400000, 0x00400000];

export interface Region {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A mutated copy: 1-4 edits inside one region (bit flips, boundary bytes, random bytes,
 * interesting 16/32-bit little-endian words), then sometimes a cut, an append or a splice.
 */
export function mutateBytes(bytes: Uint8Array, rng: Prng, regions: readonly Region[] = [{ name: 'anywhere', start: 0, end: bytes.length }]): Buffer {
  let out = Buffer.from(bytes);
  const region = pick(rng, regions);
  const span = Math.max(1, Math.min(region.end, out.length) - region.start);
  const edits = 1 + rng.below(4);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = Math.min(out.length - 1, region.start + rng.below(span));
    const kind = rng.below(5);
    if (kind === 0) out[at] = out[at]! ^ (1 << rng.below(8));
    else if (kind === 1) out[at] = pick(rng, [0x00, 0xff, 0x80, 0x7f, 0x01]);
    else if (kind === 2) out[at] = rng.below(256);
    else if (kind === 3 && at + 2 <= out.length) out.writeUInt16LE(pick(rng, INTERESTING_32) & 0xffff, at);
    else if (at + 4 <= out.length) out.writeUInt32LE(pick(rng, INTERESTING_32) >>> 0, at);
  }
  const shape = rng.below(20);
  if (shape === 0) out = out.subarray(0, rng.below(out.length + 1));
  else if (shape === 1) out = Buffer.concat([out, Buffer.from(Array.from({ length: rng.below(256) }, () => rng.below(256)))]);
  else if (shape === 2 && out.length > 8) {
    const from = rng.below(out.length);
    const to = rng.below(out.length);
    const chunk = out.subarray(from, from + rng.below(64));
    out = Buffer.concat([out.subarray(0, to), chunk, out.subarray(to)]);
  }
  return out;
}
