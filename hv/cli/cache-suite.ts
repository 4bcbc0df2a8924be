/** `hv cache-sim --suite`: placeholder until the suite lands. */
import { UsageError } from '../errors.ts';
import type { CacheSimOptions } from './cache-sim.ts';

export async function runSuite(_options: CacheSimOptions): Promise<number> {
  throw new UsageError('--suite: not available yet');
}
