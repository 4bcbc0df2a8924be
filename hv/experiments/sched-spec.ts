/**
 * What `hv experiment sched` runs: the policies (`NAME[:KEY=VALUE]...`, scheduler parameters of
 * the system file), the workload parameters, and a sweep of one parameter (a workload parameter
 * or a scheduler parameter). Every bad value is a UsageError naming the option.
 */
import { SCHEDULER_POLICIES, type SchedulerPolicy, policyParameters } from '../core/scheduler-config.ts';
import { validateSystem } from '../core/system-config.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { HV_MAX_CORES, HV_MAX_FRONTENDS } from '../io/layout.ts';

export type ParamValue = number | boolean;

export interface PolicySpec {
  /** As given: `credit` or `credit:boost=false`. */
  readonly label: string;
  readonly policy: SchedulerPolicy;
  /** Scheduler parameters (system-file names). */
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** The consolidated system and its workloads. */
export interface Workload {
  cores: number;
  'io-vms': number;
  'cpu-vms': number;
  /** Virtual time each run lasts, in cycles. */
  duration: number;
  /** iobound: instructions of CPU work between two reads. */
  think: number;
  /** latency: timer period in cycles (one read per period). */
  period: number;
  /** phased: instructions per CPU phase. */
  'phase-cpu': number;
  /** phased: reads per I/O burst. */
  burst: number;
}

export const DEFAULT_WORKLOAD: Readonly<Workload> = {
  cores: 2,
  'io-vms': 3,
  'cpu-vms': 3,
  duration: 25_000_000,
  think: 5_000,
  period: 25_000,
  'phase-cpu': 2_000_000,
  burst: 64,
};

/** Lower bounds of the workload parameters. */
const WORKLOAD_MIN: Readonly<Record<keyof Workload, number>> = {
  cores: 1,
  'io-vms': 0,
  'cpu-vms': 0,
  duration: 100_000,
  think: 0,
  period: 1_000,
  'phase-cpu': 0,
  burst: 1,
};

export interface Sweep {
  readonly param: string;
  readonly values: readonly ParamValue[];
  /** A workload parameter, or a scheduler parameter (applies to the policies that have it). */
  readonly target: 'workload' | 'scheduler';
}

export function isWorkloadParam(name: string): name is keyof Workload {
  return Object.hasOwn(DEFAULT_WORKLOAD, name);
}

/** The parameters a policy's section may have, besides `policy`. */
export function schedulerParams(policy: SchedulerPolicy): readonly string[] {
  return policyParameters(policy);
}

export function parsePolicies(list: string): PolicySpec[] {
  const specs = list.split(',').map((item) => parsePolicy(item.trim()));
  if (specs.length === 0 || specs.some((s) => s.label === '')) throw new UsageError(`--policies: expected a comma-separated list of ${SCHEDULER_POLICIES.join(', ')}`);
  const labels = new Set<string>();
  for (const s of specs) {
    if (labels.has(s.label)) throw new UsageError(`--policies: ${s.label} is listed twice`);
    labels.add(s.label);
  }
  return specs;
}

function parsePolicy(item: string): PolicySpec {
  const [name = '', ...pairs] = item.split(':');
  if (!(SCHEDULER_POLICIES as readonly string[]).includes(name)) {
    throw new UsageError(`--policies: unknown policy "${name}" (known: ${SCHEDULER_POLICIES.join(', ')})`);
  }
  const policy = name as SchedulerPolicy;
  const params: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const [key = '', text, ...rest] = pair.split('=');
    if (text === undefined || rest.length > 0 || !schedulerParams(policy).includes(key)) {
      throw new UsageError(`--policies ${item}: expected ${policy}:KEY=VALUE with KEY one of ${schedulerParams(policy).join(', ')}, got "${pair}"`);
    }
    params[key] = parseValue(text, `--policies ${item}`);
  }
  checkParams(item, policy, params);
  return { label: item, policy, params };
}

/** The parameters as a system file would have them (relations between them included). */
function checkParams(item: string, policy: SchedulerPolicy, params: Record<string, ParamValue>): void {
  try {
    validateSystem({ guests: [{ name: 'guest', image: 'guest.elf' }], scheduler: { policy, ...params } }, `--policies ${item}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** `PARAM=V1,V2,...`: a workload parameter or a parameter of one of `policies`. */
export function parseSweep(text: string, policies: readonly PolicySpec[]): Sweep {
  const eq = text.indexOf('=');
  const param = eq < 0 ? '' : text.slice(0, eq);
  const values = eq < 0 ? [] : text.slice(eq + 1).split(',').map((v) => parseValue(v.trim(), `--sweep ${param}`));
  if (param === '' || values.length === 0) throw new UsageError(`--sweep: expected PARAM=V1,V2,..., got "${text}"`);
  if (isWorkloadParam(param)) {
    for (const v of values) workloadValue(param, v, `--sweep ${param}`);
    return { param, values, target: 'workload' };
  }
  if (!policies.some((p) => schedulerParams(p.policy).includes(param))) {
    const known = [...Object.keys(DEFAULT_WORKLOAD), ...new Set(policies.flatMap((p) => schedulerParams(p.policy)))];
    throw new UsageError(`--sweep: "${param}" is not a parameter of the workload or of the policies run (known: ${known.join(', ')})`);
  }
  return { param, values, target: 'scheduler' };
}

/** Upper bounds of the workload parameters (the system file allows 64 cores). */
const WORKLOAD_MAX: Partial<Readonly<Record<keyof Workload, number>>> = { cores: 64 };

/** A workload parameter's value, checked; `option` names where it came from in errors. */
export function workloadValue(param: keyof Workload, value: ParamValue, option: string): number {
  const min = WORKLOAD_MIN[param];
  const max = WORKLOAD_MAX[param] ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
    throw new UsageError(`${option}: expected an integer ${range}, got ${String(value)}`);
  }
  return value;
}

function parseValue(text: string, option: string): ParamValue {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  throw new UsageError(`${option}: expected a number, true or false, got "${text}"`);
}

/**
 * Limits that need several parameters: at least one I/O guest, at most as many split-path guests
 * as the driver VM serves, and no core without a driver call record for the in-context path.
 * `option(param)` names where the value came from in the error.
 */
export function checkWorkload(w: Workload, ioPaths: readonly string[], option: (param: keyof Workload) => string): void {
  if (w['io-vms'] === 0) throw new UsageError(`${option('io-vms')}: expected at least 1 I/O guest (the experiment measures I/O)`);
  if (ioPaths.includes('split') && w['io-vms'] > HV_MAX_FRONTENDS) {
    throw new UsageError(`${option('io-vms')}: expected at most ${HV_MAX_FRONTENDS} (the driver VM serves ${HV_MAX_FRONTENDS} split-path guests), got ${w['io-vms']}`);
  }
  if (ioPaths.includes('in-context') && w.cores > HV_MAX_CORES) {
    throw new UsageError(`${option('cores')}: expected at most ${HV_MAX_CORES} with the in-context path (the driver VM has ${HV_MAX_CORES} per-core call records), got ${w.cores}`);
  }
}
