/**
 * The messages master and slaves exchange, as zod schemas: every message that crosses a transport
 * is checked against them on arrival, whatever the transport (a malformed one is rejected and
 * logged, never acted upon). The master's inputs to a slave (init, step, finish) and the slave's
 * replies (ready, report, final) form one deterministic exchange: one reply per input, in order.
 * `hello` and `heartbeat` belong to the NATS transport only and carry no simulation state.
 */
import * as z from 'zod'; // a namespace import: esbuild then bundles only the parts used

export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
const name = z.string().regex(NAME_PATTERN, 'a name of 1-32 letters, digits, "_", "." or "-"');
const cycles = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** What a slave is: the system it boots (its emulated cores) and what it offers to workloads. */
export const slaveSpecSchema = z
  .object({
    name,
    cores: z.number().int().min(1).max(64),
    /** Guest memory it offers, in bytes. */
    memory: z.number().int().positive(),
    /** At most this many vCPUs per core at once. */
    vcpusPerCore: z.number().int().min(1).max(64),
    /** Workloads with an I/O path it can run at once (each gets a virtio-blk on its own disk). */
    ioLanes: z.number().int().min(0).max(64),
    diskTiming: z.enum(['sd-spi', 'emmc']),
    timing: z.enum(['instruction', 'cycle']),
    sliceCycles: z.number().int().min(100),
  })
  .strict();
export type SlaveSpec = z.infer<typeof slaveSpecSchema>;

/** A workload's use of resources over its run alone, sampled per window (the modelled slaves replay it). */
export const profileSchema = z
  .object({
    /** Length of one sample window in cycles. */
    window: z.number().int().positive(),
    /** CPU cycles the workload used in each window (the last window may be partial). */
    busy: z.array(cycles).min(1).max(1_000_000),
    /** Cycles its disk requests spent in the device in each window (empty: no I/O). */
    io: z.array(cycles).max(1_000_000),
    /** Virtual time from its start to its end, running alone. */
    length: cycles,
    /** How that run ended. */
    state: z.enum(['halted', 'ended', 'faulted']),
    exitCode: z.number().int().nullable(),
  })
  .strict();
export type Profile = z.infer<typeof profileSchema>;

/** The guest-file fields of a workload, as a system file's guest entry names them. */
export const guestFieldsSchema = z
  .object({
    cmdline: z.string().max(1024),
    'code-size': count.optional(),
    'sram-size': count.optional(),
    'console-limit': z.number().int().positive(),
    semihosting: z.boolean(),
    format: z.enum(['elf', 'bin']).optional(),
    'load-address': z.number().int().min(0).max(0xffffffff).optional(),
    'vector-table': z.number().int().min(0).max(0xffffff80).optional(),
    /** The I/O path of its virtio devices (the emulated backend: slaves have no driver VM). */
    'io-path': z.literal('emulated').optional(),
    /** Size of the blank disk its virtio-blk gets, in bytes (a multiple of 512). */
    'disk-size': z.number().int().min(512).max(1 << 30).multipleOf(512).optional(),
  })
  .strict();
export type GuestFields = z.infer<typeof guestFieldsSchema>;

/** A workload the master tells a slave to start at the beginning of a quantum. */
export const workloadStartSchema = z
  .object({
    name,
    /** Its attempt number (1, or more after a node failure lost the previous attempts). */
    attempt: z.number().int().min(1),
    /** CPU cycles after which it is ended (null: it runs until it halts or faults). */
    budget: cycles.nullable(),
    image: z
      .object({
        /** How results name it (the file's base name). */
        label: z.string().min(1).max(256),
        sha256,
        /** The image, base64, the first time this slave is sent it. */
        data: z.string().max(16 << 20).optional(),
      })
      .strict(),
    guest: guestFieldsSchema,
    profile: profileSchema.optional(),
  })
  .strict();
export type WorkloadStart = z.infer<typeof workloadStartSchema>;

export const masterBodySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('init'), slave: slaveSpecSchema, quantum: z.number().int().positive() }).strict(),
  z
    .object({
      kind: z.literal('step'),
      /** The quantum [from, to) the slave runs now. */
      from: cycles,
      to: cycles,
      /** Workloads that start at `from`. */
      start: z.array(workloadStartSchema).max(100_000),
      /** A modelled node failure at `from`: every workload ends, nothing runs any more. */
      fail: z.boolean(),
    })
    .strict()
    .refine((s) => s.to > s.from, 'a step ends after it begins'),
  z.object({ kind: z.literal('finish') }).strict(),
]);
export type MasterBody = z.infer<typeof masterBodySchema>;
export type StepBody = Extract<MasterBody, { kind: 'step' }>;
export type InitBody = Extract<MasterBody, { kind: 'init' }>;

export const capacitySchema = z
  .object({ cores: z.number().int().positive(), memory: count, vcpus: z.number().int().positive(), io: count })
  .strict();
export type Capacity = z.infer<typeof capacitySchema>;

/** A workload that stopped on a slave: how it ended and what it printed. */
export const finishedSchema = z
  .object({
    name,
    attempt: z.number().int().min(1),
    state: z.enum(['halted', 'ended', 'faulted', 'failed']),
    exitCode: z.number().int().nullable(),
    /** Why it stopped, in words (a fault report's first line, "cycle budget used", "node failure"). */
    detail: z.string().max(4096),
    start: cycles,
    end: cycles,
    cycles,
    instructions: count,
    console: z.array(z.string().max(1 << 20)).max(1 << 20),
  })
  .strict();
export type Finished = z.infer<typeof finishedSchema>;

export const slaveBodySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), capacity: capacitySchema }).strict(),
  z
    .object({
      kind: z.literal('report'),
      /** Virtual time at the end of the quantum it ran. */
      time: cycles,
      /** CPU cycles its guests used in the quantum. */
      busy: cycles,
      /** Cycles its guests' disk requests spent in the device in the quantum (I/O pressure). */
      ioBusy: cycles,
      /** Workloads still running and the cycles each has used so far. */
      running: z.array(z.object({ name, cycles }).strict()),
      finished: z.array(finishedSchema),
    })
    .strict(),
  z.object({ kind: z.literal('final'), stats: z.record(z.string(), z.unknown()) }).strict(),
]);
export type SlaveBody = z.infer<typeof slaveBodySchema>;
export type ReportBody = Extract<SlaveBody, { kind: 'report' }>;

/** The NATS transport's own messages: a slave process announcing itself and staying alive. */
export const controlBodySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('hello') }).strict(),
  z.object({ kind: z.literal('heartbeat') }).strict(),
]);

/** A one-line description of why a message failed its schema (for the rejection log). */
export function schemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return `${path || '(message)'}: ${issue.message}`;
}
