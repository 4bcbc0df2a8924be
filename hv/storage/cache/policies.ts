/** Policies by name: the one place that knows every implementation. */
import { ConfigError } from '../../errors.ts';
import { ArcPolicy } from './arc.ts';
import type { LayeredOptions } from './layered-options.ts';
import { LayeredPolicy } from './layered.ts';
import { type LirsOptions, LirsPolicy } from './lirs.ts';
import { LruPolicy } from './lru.ts';
import { type CachePolicy, MAX_CAPACITY, MIN_CAPACITY, type PolicyName } from './policy.ts';
import { type S3FifoOptions, S3FifoPolicy } from './s3fifo.ts';
import { SievePolicy } from './sieve.ts';

export interface PolicyOptions {
  readonly layered?: LayeredOptions;
  readonly s3fifo?: S3FifoOptions;
  readonly lirs?: LirsOptions;
}

export function createPolicy(name: PolicyName, capacity: number, options: PolicyOptions = {}): CachePolicy {
  if (!Number.isSafeInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
    throw new ConfigError(`cache capacity: expected ${MIN_CAPACITY} to ${MAX_CAPACITY} blocks, got ${capacity}`);
  }
  switch (name) {
    case 'lru':
      return new LruPolicy(capacity);
    case 'arc':
      return new ArcPolicy(capacity);
    case 's3fifo':
      return new S3FifoPolicy(capacity, options.s3fifo);
    case 'sieve':
      return new SievePolicy(capacity);
    case 'lirs':
      return new LirsPolicy(capacity, options.lirs);
    case 'layered':
      return new LayeredPolicy(capacity, options.layered);
  }
}
