/**
 * The system file's `scheduler` section: the policy that schedules the vCPUs (hv/sched/) and its
 * parameters. Times are cycles of the board's clock. Defaults that come from Xen or a paper are
 * times (30 ms, 10 ms, 1 ms, 0.1 ms) converted at the board's clock when the file is loaded;
 * hv/core/README.md lists every parameter with its default.
 */
import * as z from 'zod/mini'; // a namespace import: esbuild then bundles only the parts used
import { useEnglishMessages } from '../schema-messages.ts';

export const SCHEDULER_POLICIES = ['round-robin', 'credit', 'micro-slice', 'io-aware'] as const;
export type SchedulerPolicy = (typeof SCHEDULER_POLICIES)[number];

/** Defaults given as times, in milliseconds of virtual time. */
export const SCHEDULER_DEFAULT_MS = {
  /** The I/O rate's measuring window. */
  ioRateWindow: 10,
  /** Xen Credit's time slice (sched_credit_tslice_ms) and its accounting period. */
  creditSlice: 30,
  /** Xen Credit's context-switch rate limit (sched_ratelimit_us = 1000). */
  creditRatelimit: 1,
  /** vTurbo's turbo-core slice (USENIX ATC'13): the driver core's shortened slice. */
  driverSlice: 0.1,
  /** How long a VM stays after an io-aware move: one measuring window. */
  hold: 10,
} as const;

export const SCHEDULER_DEFAULTS = {
  /** Xen Credit: three ticks per slice (10 ms of 30 ms). */
  ticksPerSlice: 3,
  microSlices: 4,
  /** Requests per virtual second. */
  threshold: 300,
  thresholdLow: 100,
  maxVms: 4,
  weight: 256,
} as const;

/**
 * The section's schema, built on first use (z.lazy): most systems have no scheduler section.
 * zod/mini, as the rest of the system file's schema (system-config.ts).
 */
export const schedulerSchema = z.lazy(policySchemas);

/** A whole number from `min`, up to `max` if given. */
function integer(min: number, max?: number) {
  return z.number().check(z.int(), z.gte(min), ...(max === undefined ? [] : [z.lte(max)]));
}

function policySchemas() {
  useEnglishMessages();
  const cycles = (min: number) => z.optional(integer(min));
  const rate = z.optional(z.number().check(z.gte(0)));
  const guestShares = z._default(
    z.record(z.string(), z.strictObject({ weight: z._default(integer(1, 65535), SCHEDULER_DEFAULTS.weight), cap: z._default(integer(0, 100), 0) })),
    {},
  );
  const common = { 'io-rate-window': cycles(100), guests: guestShares, slice: cycles(100) };
  const thresholds = { threshold: rate, 'threshold-low': rate };

  return z.discriminatedUnion(
    'policy',
    [
      z.strictObject({ policy: z.literal('round-robin'), ...common }),
      z.strictObject({ policy: z.literal('credit'), ...common, tick: cycles(100), ratelimit: cycles(0), boost: z._default(z.boolean(), true), steal: z._default(z.boolean(), true) }),
      z.strictObject({ policy: z.literal('micro-slice'), ...common, ...thresholds, 'micro-slices': z._default(integer(1, 1000), SCHEDULER_DEFAULTS.microSlices) }),
      z.strictObject({
        policy: z.literal('io-aware'),
        ...common,
        ...thresholds,
        'driver-slice': cycles(100),
        'driver-core': z.optional(integer(0)),
        hold: cycles(0),
        'max-vms': z._default(integer(1), SCHEDULER_DEFAULTS.maxVms),
        swap: z._default(z.boolean(), true),
      }),
    ],
    { error: () => `expected a policy: ${SCHEDULER_POLICIES.join(', ')}` },
  );
}

/** The parameters a policy's section may have, besides `policy` and `guests`. */
export function policyParameters(policy: SchedulerPolicy): string[] {
  const option = policySchemas()._zod.def.options.find((o) => (o.shape.policy._zod.def.values as readonly string[]).includes(policy))!;
  return Object.keys(option.shape).filter((k) => k !== 'policy' && k !== 'guests');
}

type Parsed = z.infer<typeof schedulerSchema>;
type Resolved<P, K extends PropertyKey> = Omit<P, K> & { [F in K]-?: number };

export type SchedulerConfig =
  | Resolved<Extract<Parsed, { policy: 'round-robin' }>, 'io-rate-window' | 'slice'>
  | Resolved<Extract<Parsed, { policy: 'credit' }>, 'io-rate-window' | 'slice' | 'tick' | 'ratelimit'>
  | Resolved<Extract<Parsed, { policy: 'micro-slice' }>, 'io-rate-window' | 'slice' | 'threshold' | 'threshold-low'>
  | Resolved<Extract<Parsed, { policy: 'io-aware' }>, 'io-rate-window' | 'slice' | 'threshold' | 'threshold-low' | 'driver-slice' | 'hold'>;

/** Fills in the defaults: times at the board's clock `hz`, slices from the system's `slice-cycles`. */
export function resolveScheduler(s: Parsed, hz: number, sliceCycles: number): SchedulerConfig {
  const ms = (t: number) => Math.round((t * hz) / 1000);
  const window = s['io-rate-window'] ?? ms(SCHEDULER_DEFAULT_MS.ioRateWindow);
  switch (s.policy) {
    case 'round-robin':
      return { ...s, 'io-rate-window': window, slice: s.slice ?? sliceCycles };
    case 'credit': {
      const slice = s.slice ?? ms(SCHEDULER_DEFAULT_MS.creditSlice);
      const tick = s.tick ?? Math.max(100, Math.round(slice / SCHEDULER_DEFAULTS.ticksPerSlice));
      return { ...s, 'io-rate-window': window, slice, tick, ratelimit: s.ratelimit ?? Math.min(slice, ms(SCHEDULER_DEFAULT_MS.creditRatelimit)) };
    }
    case 'micro-slice':
      return { ...s, 'io-rate-window': window, slice: s.slice ?? sliceCycles, ...resolveThresholds(s) };
    case 'io-aware':
      return {
        ...s,
        'io-rate-window': window,
        slice: s.slice ?? sliceCycles,
        ...resolveThresholds(s),
        'driver-slice': s['driver-slice'] ?? ms(SCHEDULER_DEFAULT_MS.driverSlice),
        hold: s.hold ?? ms(SCHEDULER_DEFAULT_MS.hold),
      };
  }
}

function resolveThresholds(s: { threshold?: number; 'threshold-low'?: number }): { threshold: number; 'threshold-low': number } {
  const threshold = s.threshold ?? SCHEDULER_DEFAULTS.threshold;
  return { threshold, 'threshold-low': s['threshold-low'] ?? Math.min(threshold, SCHEDULER_DEFAULTS.thresholdLow) };
}

/** Which names `scheduler.guests` may use, and the system's cores and driver VM placement. */
export interface SchedulerContext {
  names: ReadonlySet<string>;
  cores: number;
  /** The driver VM's core (undefined without a driver VM). */
  driverCore: number | undefined;
}

/** Problems that need several fields (a resolved section), each naming its field. */
export function schedulerProblems(s: SchedulerConfig, ctx: SchedulerContext, where: string): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(s.guests)) {
    if (!ctx.names.has(name)) problems.push(`${where}.guests.${name}: expected the name of a guest or of the driver VM (${[...ctx.names].join(', ')})`);
  }
  if ('threshold' in s && s['threshold-low'] > s.threshold) {
    problems.push(`${where}.threshold-low: expected at most threshold (${s.threshold}), got ${s['threshold-low']}`);
  }
  if (s.policy === 'credit') {
    if (s.tick > s.slice) problems.push(`${where}.tick: expected at most slice (${s.slice}), got ${s.tick}`);
    if (s.ratelimit > s.slice) problems.push(`${where}.ratelimit: expected at most slice (${s.slice}), got ${s.ratelimit}`);
  }
  if (s.policy === 'io-aware') problems.push(...driverCoreProblems(s['driver-core'], ctx, where));
  return problems;
}

function driverCoreProblems(core: number | undefined, ctx: SchedulerContext, where: string): string[] {
  if (core === undefined) return [];
  if (core >= ctx.cores) return [`${where}.driver-core: expected a core below cores (${ctx.cores}), got ${core}`];
  if (ctx.driverCore !== undefined && ctx.driverCore !== core) {
    return [`${where}.driver-core: expected the driver VM's core (${ctx.driverCore}: io.driver-vm.core, by default the last core), got ${core}`];
  }
  return [];
}
