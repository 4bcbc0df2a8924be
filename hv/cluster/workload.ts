/**
 * The master's workloads: each cluster-file entry (or generated one) with its image read and
 * hashed once, the memory it asks for and the guest fields a slave boots it with. Images travel to
 * a slave inside the first dispatch that needs them, so a slave on another host needs no copy of
 * the repository's files and runs exactly the bytes the master read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, ImageError } from '../errors.ts';
import { type ClusterConfig, type WorkloadEntry, footprint } from './cluster-file.ts';
import { generateWorkloads } from './generator.ts';
import type { GuestFields, Profile } from './messages.ts';
import type { Demand } from './resources.ts';

export interface WorkloadImage {
  /** The file's base name (what results call it, the same on every host). */
  readonly label: string;
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

export interface Workload {
  readonly name: string;
  readonly kind: string;
  /** Virtual time at which it reaches the master. */
  readonly arrival: number;
  /** CPU cycles after which it is ended, or null (until it halts or faults). */
  readonly budget: number | null;
  readonly demand: Demand;
  readonly image: WorkloadImage;
  readonly guest: GuestFields;
  /** Its resource use over time (for modelled slaves). */
  profile?: Profile;
}

/** The cluster file's workloads and the generated ones, ordered by arrival (then name). */
export function clusterWorkloads(config: ClusterConfig): Workload[] {
  const entries = [...config.workloads];
  if (config.generate) {
    const cores = config.slaves.reduce((sum, s) => sum + s.cores, 0);
    entries.push(...generateWorkloads({ ...config.generate, seed: config.generate.seed ?? config.seed, cores }));
  }
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new ConfigError(`${config.source}: workload name "${e.name}" is used twice (a listed workload and a generated one?)`);
    names.add(e.name);
  }
  const images = new ImageCache();
  return entries.map((e) => toWorkload(e, images)).sort(byArrival);
}

export function toWorkload(e: WorkloadEntry, images: ImageCache): Workload {
  return {
    name: e.name,
    kind: e.kind,
    arrival: e.arrival,
    budget: e.cycles ?? null,
    demand: { memory: e.memory ?? footprint(e), io: e['io-path'] !== undefined },
    image: images.read(e.image),
    guest: {
      cmdline: e.cmdline,
      'code-size': e['code-size'],
      'sram-size': e['sram-size'],
      'console-limit': e['console-limit'],
      semihosting: e.semihosting,
      format: e.format,
      'load-address': e['load-address'],
      'vector-table': e['vector-table'],
      'io-path': e['io-path'],
      'disk-size': e['disk-size'],
    },
  };
}

export function byArrival(a: Workload, b: Workload): number {
  return a.arrival - b.arrival || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Reads each image file once. */
export class ImageCache {
  private readonly images = new Map<string, WorkloadImage>();

  read(file: string): WorkloadImage {
    let image = this.images.get(file);
    if (!image) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (cause) {
        throw new ImageError(`${file}: cannot read image: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
      }
      image = { label: basename(file), sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
      this.images.set(file, image);
    }
    return image;
  }
}
