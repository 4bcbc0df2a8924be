/**
 * What `hv cache-sim` was asked (its options, parsed) and the simulator configuration they give;
 * shared by a single-trace run (cache-sim.ts) and the suite (cache-suite.ts).
 */
import { DISK_TIMINGS } from '../storage/cache/disk-timing.ts';
import type { LayeredOptions } from '../storage/cache/layered-options.ts';
import { createPolicy } from '../storage/cache/policies.ts';
import type { PolicyName, SimPolicyName } from '../storage/cache/policy.ts';
import type { TraceFormat } from '../storage/sim/trace.ts';
import type { SizeValue } from './cache-options.ts';

const TRIAL_CAPACITY = 1024;

export interface CacheSimOptions {
  trace: string[];
  suite?: boolean;
  format?: TraceFormat;
  policy: PolicyName[];
  min: boolean;
  size?: SizeValue;
  sizes?: SizeValue[];
  block: number;
  device: string;
  sharedRefs?: number;
  probation?: number;
  json?: string;
  out?: string;
  seed: number;
  workloads?: string[];
}

export function simulationConfig(options: CacheSimOptions) {
  const policies: SimPolicyName[] = [...options.policy, ...(options.min ? (['min'] as const) : [])];
  return { policies, blockSize: options.block, timing: DISK_TIMINGS[options.device]!, policyOptions: { layered: layeredOptions(options) } };
}

/** Option errors (layer shares, ...) surface before the trace is read: a trial build of each policy. */
export function checkPolicyOptions(config: ReturnType<typeof simulationConfig>): void {
  for (const name of config.policies) if (name !== 'min') createPolicy(name, TRIAL_CAPACITY, config.policyOptions);
}

function layeredOptions(options: CacheSimOptions): LayeredOptions {
  return { sharedReferences: options.sharedRefs, probation: options.probation };
}
