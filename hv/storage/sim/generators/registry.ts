/** Every trace generator by name, with its defaults: what `hv trace-gen` and the suite run. */
import { BOOT_STORM_DEFAULTS, generateBootStorm } from './boot-storm.ts';
import type { GeneratorCommon } from './common.ts';
import { generateLinkedClones, LINKED_CLONES_DEFAULTS } from './linked-clones.ts';
import { generateMixed, MIXED_DEFAULTS } from './mixed.ts';
import { generateScanHot, SCAN_HOT_DEFAULTS } from './scan-hot.ts';
import { generateScan, SCAN_DEFAULTS } from './scan.ts';
import type { TraceSink } from './trace-sink.ts';
import { generateVdi, VDI_DEFAULTS } from './vdi.ts';
import { generateZipf, ZIPF_DEFAULTS } from './zipf.ts';

/** A generator's own options (numbers) and the common ones. */
export type GeneratorOptions = GeneratorCommon & { readonly [option: string]: number | GeneratorCommon['progress'] };

export interface GeneratorEntry {
  readonly description: string;
  readonly defaults: Readonly<Record<string, number>>;
  /** Runs the generator with `options` (its defaults overridden, plus seed and block size). */
  readonly generate: (options: GeneratorOptions, out: TraceSink) => void;
}

type Generate = GeneratorEntry['generate'];

export const GENERATORS = {
  'boot-storm': {
    description: 'N VMs booting from one base image, staggered, with jitter and private overlay I/O',
    defaults: BOOT_STORM_DEFAULTS,
    generate: generateBootStorm as unknown as Generate,
  },
  vdi: {
    description: 'steady-state virtual desktops over a shared base (Capo: 65% of operations writes, 65% of bytes reads)',
    defaults: VDI_DEFAULTS,
    generate: generateVdi as unknown as Generate,
  },
  'linked-clones': {
    description: 'linked-clone desktops whose base gets an update, then recomposed onto it one by one',
    defaults: LINKED_CLONES_DEFAULTS,
    generate: generateLinkedClones as unknown as Generate,
  },
  zipf: { description: 'reads and writes with Zipf popularity', defaults: ZIPF_DEFAULTS, generate: generateZipf as unknown as Generate },
  'scan-hot': {
    description: 'a Zipf hot set on one disk while a job rereads a large region sequentially',
    defaults: SCAN_HOT_DEFAULTS,
    generate: generateScanHot as unknown as Generate,
  },
  scan: { description: 'sequential passes over a region', defaults: SCAN_DEFAULTS, generate: generateScan as unknown as Generate },
  mixed: {
    description: 'popular shared reads, scans of private data and overlay writes',
    defaults: MIXED_DEFAULTS,
    generate: generateMixed as unknown as Generate,
  },
} as const satisfies Record<string, GeneratorEntry>;

export type GeneratorName = keyof typeof GENERATORS;
