/**
 * The options of each `hv trace-gen` generator: flag, help and value parser. Defaults come from
 * the generator registry (hv/storage/sim/generators/registry.ts), so the CLI, the suite and the
 * README share one table of defaults; a flag is the kebab-case of its option's name.
 */
import type { GeneratorName } from '../storage/sim/generators/registry.ts';
import { parseNumber } from './cache-options.ts';
import { parseInteger } from './options.ts';

/** One option: flag (without --), help, parser. */
export type Spec = readonly [flag: string, help: string, parse: (value: string) => number];

const int = (flag: string, min = 1): Spec[2] => parseInteger(`--${flag}`, min);
const ratio = (flag: string): Spec[2] => parseNumber(`--${flag}`, 0, 1);
const num = (flag: string): Spec[2] => parseNumber(`--${flag}`, 0);

const spec = (flag: string, help: string, kind: 'int' | 'ratio' | 'num'): Spec => [flag, help, { int, ratio, num }[kind](flag)];

const DESKTOP: Spec[] = [
  spec('read-ratio', 'share of requests that are reads (Capo: 0.35)', 'ratio'),
  spec('base-read-share', 'share of reads that go to the shared base', 'ratio'),
  spec('read-mean-blocks', 'mean blocks per read (Capo: reads move 3.5x the bytes of a write)', 'num'),
  spec('max-request-blocks', 'largest read in blocks', 'int'),
  spec('rewrite-share', 'share of writes that rewrite a recent write (Capo: half the written bytes)', 'ratio'),
  spec('base-write-share', 'share of writes that change a popular base block', 'ratio'),
  spec('private-blocks', "size of each VM's own data area in blocks", 'int'),
  spec('recent-writes', 'recent writes a rewrite or a read-after-write picks from', 'int'),
];

export const GENERATOR_OPTIONS: Record<GeneratorName, readonly Spec[]> = {
  'boot-storm': [
    spec('vms', 'VMs booting from the same base image', 'int'),
    spec('boot-blocks', 'base-image blocks each VM reads while booting', 'int'),
    spec('base-blocks', 'size of the base image in blocks', 'int'),
    spec('stagger-us', 'microseconds between VM starts', 'num'),
    spec('think-us', "mean microseconds between one VM's requests", 'num'),
    spec('jitter', 'share of boot reads swapped with one up to 8 places later', 'ratio'),
    spec('skip', 'share of boot reads a VM leaves out', 'ratio'),
    spec('private-ratio', "share of a VM's requests to its own data", 'ratio'),
    spec('write-ratio', 'share of those private requests that are writes', 'ratio'),
    spec('private-blocks', "size of each VM's own data area in blocks", 'int'),
    spec('max-request-blocks', 'largest request in blocks', 'int'),
  ],
  vdi: [
    spec('vms', 'desktops on overlays of one base image', 'int'),
    spec('requests', 'requests to generate', 'int'),
    spec('base-blocks', 'size of the base image in blocks', 'int'),
    spec('hot-blocks', 'base blocks the desktops use (Zipf popularity)', 'int'),
    spec('alpha', 'Zipf exponent', 'num'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
    ...DESKTOP,
  ],
  'linked-clones': [
    spec('vms', 'linked-clone desktops', 'int'),
    spec('requests', 'requests to generate', 'int'),
    spec('base-blocks', 'size of the base image in blocks', 'int'),
    spec('hot-blocks', 'base blocks the desktops use (Zipf popularity)', 'int'),
    spec('alpha', 'Zipf exponent', 'num'),
    spec('update-at', 'when the base update is written, as a share of the requests', 'ratio'),
    spec('recompose-spread', 'share of the requests over which the desktops are recomposed', 'ratio'),
    spec('changed-share', 'share of the used base blocks the update changes', 'ratio'),
    spec('boot-blocks', 'blocks a recomposed desktop reads while booting', 'int'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
    ...DESKTOP,
  ],
  zipf: [
    spec('blocks', 'blocks in the image', 'int'),
    spec('requests', 'requests to generate', 'int'),
    spec('alpha', 'Zipf exponent (0 = uniform)', 'num'),
    spec('read-ratio', 'share of requests that are reads', 'ratio'),
    spec('vms', 'VMs (more than one: overlays on a shared image)', 'int'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
  ],
  'scan-hot': [
    spec('requests', 'requests to generate', 'int'),
    spec('hot-blocks', 'blocks in the hot set', 'int'),
    spec('alpha', 'Zipf exponent of the hot set', 'num'),
    spec('scan-share', 'share of requests that are the next read of the scan', 'ratio'),
    spec('scan-blocks', 'blocks in the region scanned over and over', 'int'),
    spec('request-blocks', 'blocks per scan request', 'int'),
    spec('write-ratio', 'share of hot-set requests that are writes', 'ratio'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
  ],
  scan: [
    spec('blocks', 'blocks in the scanned region', 'int'),
    spec('passes', 'passes over the region', 'int'),
    spec('request-blocks', 'blocks per request', 'int'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
  ],
  mixed: [
    spec('vms', 'VMs on overlays of one base image', 'int'),
    spec('requests', 'requests to generate', 'int'),
    spec('zipf-blocks', 'base-image blocks with Zipf popularity', 'int'),
    spec('alpha', 'Zipf exponent', 'num'),
    spec('zipf-weight', 'share of popular base-image reads', 'ratio'),
    spec('scan-weight', 'share of sequential scan reads of private data', 'ratio'),
    spec('scan-blocks', 'blocks per scan', 'int'),
    spec('private-blocks', "size of each VM's own data area in blocks", 'int'),
    spec('interval-us', 'mean microseconds between requests', 'num'),
  ],
};

export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
