/** Policies by name: the one place that knows every implementation. */
import { ConfigError } from '../../errors.ts';
import { ArcPolicy } from './arc.ts';
import type { LayeredOptions } from './layered-options.ts';
import { LayeredPolicy } from './layered.ts';
import { LruPolicy } from './lru.ts';
import { type CachePolicy, MIN_CAPACITY, POLICY_NAMES, type PolicyName } from './policy.ts';
import { type S3FifoOptions, S3FifoPolicy } from './s3fifo.ts';

export interface PolicyOptions {
  readonly layered?: LayeredOptions;
  readonly s3fifo?: S3FifoOptions;
}

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

export function createPolicy(name: PolicyName, capacity: number, options: PolicyOptions = {}): CachePolicy {
  if (!Number.isSafeInteger(capacity) || capacity < MIN_CAPACITY) {
    throw new ConfigError(`cache capacity: expected at least ${MIN_CAPACITY} blocks, got ${capacity}`);
  }
  switch (name) {
    case 'lru':
      return new LruPolicy(capacity);
    case 'arc':
      return new ArcPolicy(capacity);
    case 's3fifo':
      return new S3FifoPolicy(capacity, options.s3fifo);
    case 'layered':
      return new LayeredPolicy(capacity, options.layered);
  }
}
