/**
 * Capstone (WebAssembly) for Thumb-2 / Cortex-M decoding. It initialises asynchronously, once per
 * process: callers that need cycle timing await {@link loadCapstone} before booting a system. The
 * package itself is imported then too, so that runs without cycle timing (and `hv --help`) do
 * not pay for loading it.
 */
import type { CapstoneDecoder } from '@alexaltea/capstone-js';
import { InternalError } from '../../errors.ts';

let decoder: CapstoneDecoder | undefined;
let loading: Promise<void> | undefined;

export function loadCapstone(): Promise<void> {
  loading ??= import('@alexaltea/capstone-js')
    .then((module) => module.default())
    .then((cs) => {
      decoder = new cs.Capstone(cs.ARCH_ARM, cs.MODE_THUMB | cs.MODE_MCLASS);
    });
  return loading;
}

/** The Thumb decoder; loadCapstone() must have completed. */
export function thumbDecoder(): CapstoneDecoder {
  if (!decoder) throw new InternalError('capstone is not loaded: await loadCapstone() before using cycle timing');
  return decoder;
}
