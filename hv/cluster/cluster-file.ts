/**
 * The cluster file (YAML): the slaves (their cores, memory and vCPU limit), the workloads (a guest
 * image with its command line, memory, arrival time and end condition) or a seeded generator of
 * them, the dispatch policy, the quantum, modelled node failures and the NATS settings. Validated
 * with zod; every problem is reported at once as `file: field.path: expected ...`. Field reference:
 * hv/cluster/README.md.
 */
import { dirname, resolve } from 'node:path';
import * as z from 'zod'; // a namespace import: esbuild then bundles only the parts used
import { formatIssues, parseSize } from '../core/system-config.ts';
import { loadYamlFile } from '../yaml-file.ts';
import { ConfigError } from '../errors.ts';
import { NAME_PATTERN } from './messages.ts';
import { POLICY_NAMES } from './policies.ts';

const MiB = 1 << 20;
const name = z.string().regex(NAME_PATTERN, 'a name of 1-32 letters, digits, "_", "." or "-"');
const cycles = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A byte size: a number or a string such as "64MiB", a positive multiple of 1 KiB. */
const byteSize = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const size = typeof value === 'number' ? value : parseSize(value);
  if (size === undefined || size <= 0 || size % 1024 !== 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a positive multiple of 1 KiB (e.g. 65536, "64KiB", "8MiB")' });
    return z.NEVER;
  }
  return size;
});

const slaveSchema = z
  .object({
    name,
    cores: z.number().int().min(1).max(64).default(2),
    memory: byteSize.default(64 * MiB),
    'vcpus-per-core': z.number().int().min(1).max(64).default(4),
    /** Workloads with an I/O path it runs at once, each on a blank disk of its own (default none). */
    'io-lanes': z.number().int().min(0).max(32).default(0),
    'disk-timing': z.enum(['sd-spi', 'emmc']).default('sd-spi'),
    /** NATS only: started by someone else with `hv cluster slave` (possibly on another host). */
    remote: z.boolean().default(false),
    timing: z.enum(['instruction', 'cycle']).default('instruction'),
    'slice-cycles': z.number().int().min(100).default(25_000),
  })
  .strict();

const workloadSchema = z
  .object({
    name,
    image: z.string().min(1),
    /** A label for tables and the generator's mixes: cpu, io, latency or anything else. */
    kind: z.string().regex(/^[a-z0-9-]{1,16}$/, 'a lower-case label of 1-16 letters, digits or "-"').default('other'),
    arrival: cycles.default(0),
    /** End condition: CPU cycles after which it is ended (default: it runs until it halts or faults). */
    cycles: z.number().int().positive().optional(),
    /** Memory it asks for (default, and at least: its code-size plus sram-size). */
    memory: byteSize.optional(),
    cmdline: z.string().max(1024).default(''),
    'code-size': byteSize.optional(),
    'sram-size': byteSize.optional(),
    'console-limit': z.number().int().positive().default(16 * 1024),
    semihosting: z.boolean().default(true),
    format: z.enum(['elf', 'bin']).optional(),
    'load-address': z.number().int().min(0).max(0xffffffff).optional(),
    'vector-table': z.number().int().min(0).max(0xffffff80).multipleOf(128).optional(),
    /** virtio devices served by the hypervisor's emulated backend (slaves have no driver VM). */
    'io-path': z.literal('emulated').optional(),
    /** A blank disk of this size for its virtio-blk (needs io-path). */
    'disk-size': byteSize.optional(),
  })
  .strict();

const generateSchema = z
  .object({
    count: z.number().int().min(1).max(1_000_000),
    /** Offered CPU load: mean demand per cycle over the slaves' total cores. */
    load: z.number().positive().max(10).default(0.7),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** The directory with job.elf and ioload.elf (firmware/build). */
    firmware: z.string().min(1),
    mix: z
      .object({ cpu: z.number().min(0).default(1), io: z.number().min(0).default(1), latency: z.number().min(0).default(1) })
      .strict()
      .refine((m) => m.cpu + m.io + m.latency > 0, 'at least one kind with a positive share')
      .default({ cpu: 1, io: 1, latency: 1 }),
  })
  .strict();

const weightsSchema = z
  .object({
    cpu: z.number().min(0).default(0.5),
    vcpus: z.number().min(0).default(0.3),
    memory: z.number().min(0).default(0.2),
    io: z.number().min(0).default(0.3),
  })
  .strict();

const policySchema = z.union([
  z.enum(POLICY_NAMES),
  z.object({ name: z.enum(POLICY_NAMES), weights: weightsSchema.optional() }).strict(),
]);

const natsSchema = z
  .object({
    url: z.string().regex(/^(nats|tls):\/\/[^@/\s]+$/, 'a URL such as nats://host:4222 (credentials go in user/password, not the URL)').optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Key of the messages' HMAC (default: the HV_CLUSTER_SECRET environment variable). */
    secret: z.string().min(8).optional(),
    /** Subject prefix hvlab.<cluster> that keeps clusters on one server apart. */
    cluster: name.default('hvlab'),
    /** Host milliseconds without a message after which a slave process counts as dead. */
    'heartbeat-timeout': z.number().int().min(500).default(10_000),
  })
  .strict();

const clusterSchema = z
  .object({
    quantum: z.number().int().min(1000).default(250_000),
    until: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(2_500_000_000),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    policy: policySchema.default('resource-use'),
    slaves: z.array(slaveSchema).min(1, 'at least one slave'),
    workloads: z.array(workloadSchema).default([]),
    generate: generateSchema.optional(),
    failures: z.array(z.object({ slave: name, at: cycles }).strict()).default([]),
    nats: natsSchema.optional(),
  })
  .strict();

export type ClusterFile = z.infer<typeof clusterSchema>;
export type WorkloadEntry = z.infer<typeof workloadSchema>;
export type PolicyWeights = z.infer<typeof weightsSchema>;
export const DEFAULT_WEIGHTS: PolicyWeights = weightsSchema.parse({});

/** A validated cluster file; image paths are absolute. */
export interface ClusterConfig extends ClusterFile {
  readonly source: string;
}

export function loadClusterFile(file: string): ClusterConfig {
  return validateCluster(loadYamlFile(file, 'cluster file'), file);
}

/** Validates parsed cluster-file data; `file` names it in errors and anchors relative paths. */
export function validateCluster(data: unknown, file: string): ClusterConfig {
  const result = clusterSchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(formatIssues(file, result.error.issues).join('\n'));
  const config = result.data;
  const problems = semanticProblems(config, file);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const base = dirname(resolve(file));
  const workloads = config.workloads.map((w) => ({ ...w, image: resolve(base, w.image) }));
  const generate = config.generate && { ...config.generate, firmware: resolve(base, config.generate.firmware) };
  return { ...config, workloads, generate, source: file };
}

/** Memory a guest maps for itself: its code and SRAM regions (4 MiB each unless shrunk). */
export function footprint(w: Pick<WorkloadEntry, 'code-size' | 'sram-size'>): number {
  return (w['code-size'] ?? 4 * MiB) + (w['sram-size'] ?? 4 * MiB);
}

function semanticProblems(config: ClusterFile, file: string): string[] {
  const problems: string[] = [];
  const slaves = new Set<string>();
  config.slaves.forEach((s, i) => {
    if (slaves.has(s.name)) problems.push(`${file}: slaves[${i}].name: expected a unique name, "${s.name}" is used twice`);
    slaves.add(s.name);
  });
  const workloads = new Set<string>();
  config.workloads.forEach((w, i) => {
    if (workloads.has(w.name)) problems.push(`${file}: workloads[${i}].name: expected a unique name, "${w.name}" is used twice`);
    workloads.add(w.name);
    for (const role of ['code-size', 'sram-size'] as const) {
      if ((w[role] ?? 0) > 4 * MiB) problems.push(`${file}: workloads[${i}].${role}: expected at most 4194304 bytes, got ${w[role]}`);
    }
    if (w['disk-size'] !== undefined && w['io-path'] === undefined) problems.push(`${file}: workloads[${i}].disk-size: expected an io-path for a workload with a disk`);
    if (w.memory !== undefined && w.memory < footprint(w)) {
      problems.push(`${file}: workloads[${i}].memory: expected at least its code-size plus sram-size (${footprint(w)} bytes), got ${w.memory}`);
    }
  });
  config.failures.forEach((f, i) => {
    if (!slaves.has(f.slave)) problems.push(`${file}: failures[${i}].slave: expected one of the slaves (${[...slaves].join(', ')}), got "${f.slave}"`);
  });
  if (config.workloads.length === 0 && !config.generate) problems.push(`${file}: workloads: expected at least one workload, or a generate section`);
  return problems;
}
