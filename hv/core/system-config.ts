/**
 * The system file (YAML): which guests run, on how many cores, on which board. Validated with a
 * zod schema; every problem is reported at once with the file, the field path and what was
 * expected. Image paths are relative to the system file. Field reference: hv/core/README.md.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import * as z from 'zod/mini'; // a namespace import: esbuild then bundles only the parts used
import type { BoardDescription } from '../../devices/platforms/board.ts';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { ConfigError } from '../errors.ts';
import { loadYamlFile } from '../yaml-file.ts';
import { DEFAULT_CONSOLE_LIMIT } from './guest-console.ts';
import { type SchedulerConfig, resolveScheduler, schedulerProblems, schedulerSchema } from './scheduler-config.ts';
import { useEnglishMessages } from '../schema-messages.ts';

const DEFAULT_SLICE_CYCLES = 25_000;

/** Most emulated cores a system may have (the system file's `cores` and `hv run --cores`). */
export const MAX_CORES = 64;

/** Guests a system may have: each costs an engine and its guest memory in host memory. */
export const MAX_GUESTS = 256;

/** The disk cache lives in host memory: more than this is a typo, not a plan. */
const MAX_CACHE_BYTES = 1 << 30;

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, KIB: 1024, M: 1 << 20, MB: 1 << 20, MIB: 1 << 20 };

/** A byte size: a number or a string such as "64KiB" or "4 MiB", a multiple of 1 KiB. */
function byteSize() {
  return z.pipe(
    z.union([z.number().check(z.int(), z.positive()), z.string().check(z.regex(/^\s*\d+\s*[a-zA-Z]*\s*$/, 'a size such as 65536 or "64KiB"'))]),
    z.transform((value: number | string, ctx) => {
      const size = typeof value === 'number' ? value : parseSize(value);
      if (size === undefined || size % 1024 !== 0 || size === 0) {
        ctx.issues.push({ code: 'custom', message: 'expected a positive multiple of 1 KiB (e.g. 65536, "64KiB", "1MiB")', input: value });
        return z.NEVER;
      }
      return size;
    }),
  );
}

/** A whole number from `min`, up to `max` if given. */
function integer(min: number, max?: number) {
  return z.number().check(z.int(), z.gte(min), ...(max === undefined ? [] : [z.lte(max)]));
}

/**
 * Default exception budget of a guest: 128 exception entries per window of 1,000,000 cycles of
 * its virtual time (40 ms at 25 MHz: 3,200 per second sustained, bursts of 128). An entry costs
 * the host some microseconds, thousands of guest instructions' worth: at this rate an interrupt
 * storm costs the host about what a guest that computes does, so its neighbours keep their
 * speed (npm run bench). A 1 kHz RTOS tick with a context switch each uses 80 per window; guests
 * that need more say so in their system file.
 */
export const DEFAULT_EXCEPTION_BUDGET = { entries: 128, window: 1_000_000 } as const;

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
const NAME_RULE = 'a name of 1-32 letters, digits, "_", "." or "-"';

function guestSchema() {
  const exceptionBudget = z.union([z.literal(false), z.strictObject({ entries: integer(1), window: integer(1000, 2 ** 40) })]);
  return z.strictObject({
    name: z.string().check(z.regex(NAME_PATTERN, NAME_RULE)),
    image: z.string().check(z.minLength(1)),
    format: z.optional(z.enum(['elf', 'bin'])),
    'load-address': z.optional(integer(0, 0xffffffff)),
    core: z.optional(integer(0)),
    'code-size': z.optional(byteSize()),
    'sram-size': z.optional(byteSize()),
    semihosting: z._default(z.boolean(), true),
    'console-limit': z._default(z.number().check(z.int(), z.positive()), DEFAULT_CONSOLE_LIMIT),
    cmdline: z._default(z.string().check(z.maxLength(1024)), ''),
    'vector-table': z.optional(integer(0, 0xffffff80).check(z.multipleOf(128))),
    'io-path': z.optional(z.enum(['in-context', 'split', 'emulated'])),
    disk: z.optional(z.string().check(z.minLength(1))),
    'disk-format': z.optional(z.enum(['raw', 'qcow2'])),
    'disk-snapshot': z._default(z.boolean(), false),
    gdb: z.optional(integer(0, 65535)),
    'gdb-wait': z._default(z.boolean(), false),
    'exception-budget': z._default(exceptionBudget, DEFAULT_EXCEPTION_BUDGET),
  });
}

/** A device preset by name, or a preset with some of its service-time parameters replaced. */
function diskTimingSchema() {
  return z.union([
    z.enum(['sd-spi', 'emmc']),
    z.strictObject({
      base: z._default(z.enum(['sd-spi', 'emmc']), 'sd-spi'),
      'command-cycles': z.optional(integer(0)),
      'per-sector-cycles': z.optional(integer(0)),
      'seek-cycles': z.optional(integer(0)),
    }),
  ]);
}

export type DiskTimingConfig = z.infer<ReturnType<typeof diskTimingSchema>>;

/** The `io` section, built on first use (z.lazy): most systems have no `io` section. */
function ioSchema() {
  return z.lazy(() =>
    z.strictObject({
      'driver-vm': z.optional(
        z.strictObject({
          image: z.string().check(z.minLength(1)),
          name: z._default(z.string().check(z.regex(NAME_PATTERN, NAME_RULE)), 'driver-vm'),
          core: z.optional(integer(0)),
        }),
      ),
      'disk-timing': z._default(diskTimingSchema(), 'sd-spi'),
      cache: z._default(
        z.strictObject({
          policy: z._default(z.enum(['layered', 'lru', 'arc', 's3fifo', 'sieve', 'lirs', 'none']), 'layered'),
          size: z._default(byteSize().check(z.refine((n) => n <= MAX_CACHE_BYTES, `expected at most ${MAX_CACHE_BYTES} bytes (1 GiB) of host memory`)), 4 << 20),
          block: z._default(integer(512, 65536).check(z.refine((n) => (n & (n - 1)) === 0, 'a power of two')), 4096),
          write: z._default(z.enum(['through', 'back']), 'through'),
        }),
        { policy: 'layered', size: 4 << 20, block: 4096, write: 'through' },
      ),
    }),
  );
}

/**
 * An optional section whose schema is built on first use (`section`, a z.lazy). z.optional alone
 * would build it with the system schema: zod asks an optional field's schema whether it has a
 * default when it first parses the object around it; a pipe answers from its first stage.
 */
function optionalSection<T extends z.core.$ZodType>(section: T) {
  return z.optional(z.pipe(z.unknown(), section));
}

/**
 * The system file's schema. zod/mini, not zod: its schemas are several times cheaper to build,
 * which is a noticeable part of every `hv run`'s start-up (the issues and messages are zod's).
 */
function buildSystemSchema() {
  useEnglishMessages();
  return z.strictObject({
    cores: z._default(integer(1, MAX_CORES), 1),
    board: z._default(z.enum(Object.keys(BOARDS) as [string, ...string[]]), 'mps2-an386'),
    'slice-cycles': z._default(integer(100), DEFAULT_SLICE_CYCLES),
    costs: z.optional(z.string().check(z.minLength(1))),
    timing: z._default(z.enum(['instruction', 'cycle']), 'instruction'),
    io: optionalSection(ioSchema()),
    scheduler: optionalSection(schedulerSchema),
    guests: z
      .array(guestSchema())
      .check(z.minLength(1, 'at least one guest'), z.maxLength(MAX_GUESTS, `at most ${MAX_GUESTS} guests (each has its own engine and memory on the host)`)),
  });
}

/** Built on first use: commands that read no system file never build it. */
let systemSchema: ReturnType<typeof buildSystemSchema> | undefined;

export type SystemFile = Omit<z.infer<ReturnType<typeof buildSystemSchema>>, 'scheduler'> & {
  /** With every default filled in (times at the board's clock). */
  scheduler?: SchedulerConfig;
};
export type GuestEntry = z.infer<ReturnType<typeof guestSchema>>;

/**
 * An image after validation: `image` is resolved against the system file's directory, and
 * `imageName` keeps it as written, for stats that must not depend on where the tree is checked out.
 */
interface NamedImage {
  readonly image: string;
  readonly imageName?: string;
}

export type GuestConfig = GuestEntry & NamedImage;
export type DriverVmConfig = NonNullable<NonNullable<SystemFile['io']>['driver-vm']> & NamedImage;
export type IoConfig = Omit<NonNullable<SystemFile['io']>, 'driver-vm'> & { readonly 'driver-vm'?: DriverVmConfig };

export interface SystemConfig extends Omit<SystemFile, 'guests' | 'io'> {
  readonly guests: GuestConfig[];
  readonly io?: IoConfig;
  /** The file it came from ('<command line>' for a single image). */
  readonly source: string;
}

export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toUpperCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** Reads and validates a system file; image paths become absolute. */
export function loadSystemFile(file: string): SystemConfig {
  return validateSystem(loadYamlFile(file, 'system file'), file);
}

/** Validates parsed system-file data; `file` names it in errors and anchors relative paths. */
export function validateSystem(data: unknown, file: string): SystemConfig {
  // jitless: zod would otherwise compile a parser per object schema (new Function) on first use,
  // which costs more than it saves for a schema that parses once per process (hv start-up).
  systemSchema ??= buildSystemSchema();
  const result = systemSchema.safeParse(data ?? {}, { jitless: true });
  const problems = result.success ? [] : formatIssues(file, result.error.issues);
  problems.push(...semanticProblems(data, file));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems.join('\n'));
  const config = result.data;
  const base = dirname(resolve(file));
  const guests = config.guests.map((g) => ({
    ...g,
    image: resolve(base, g.image),
    imageName: g.image,
    disk: g.disk === undefined ? undefined : resolve(base, g.disk),
  }));
  const costs = config.costs === undefined ? undefined : resolve(base, config.costs);
  const driver = config.io?.['driver-vm'];
  const io = config.io && { ...config.io, 'driver-vm': driver && { ...driver, image: resolve(base, driver.image), imageName: driver.image } };
  const scheduler = config.scheduler && resolveScheduler(config.scheduler, BOARDS[config.board]!.clockHz, config['slice-cycles']);
  return { ...config, costs, io, scheduler, guests, source: file };
}

/** What the command line may set for a single image (system-file field names). */
export interface SingleImageOptions {
  timing?: 'instruction' | 'cycle';
  cmdline?: string;
  'code-size'?: number;
  'sram-size'?: number;
}

/** A system of one guest from an image given on the command line (relative to the working directory). */
export function singleImageSystem(image: string, options: SingleImageOptions = {}): SystemConfig {
  const name = basename(image, extname(image)).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32) || 'guest';
  const { timing, ...guest } = options;
  const fields = Object.fromEntries(Object.entries(guest).filter(([, v]) => v !== undefined));
  const config = validateSystem({ ...(timing ? { timing } : {}), guests: [{ name, image: resolve(image), ...fields }] }, '<command line>');
  return { ...config, guests: config.guests.map((g) => ({ ...g, imageName: image })) };
}

/**
 * Checks that need several fields (unique names, pinned cores, memory sizes), on the raw data so
 * that they are reported together with the schema's own problems; fields of the wrong type are
 * skipped here (the schema reports them).
 */
function semanticProblems(data: unknown, file: string): string[] {
  const raw = (data ?? {}) as Record<string, unknown>;
  if (!Array.isArray(raw['guests'])) return [];
  const cores = typeof raw['cores'] === 'number' ? raw['cores'] : 1;
  const board = BOARDS[typeof raw['board'] === 'string' ? raw['board'] : 'mps2-an386'];
  const problems: string[] = [];
  const seen = new Set<string>();
  const ports = new Set<number>();
  raw['guests'].forEach((entry: unknown, i) => {
    const g = (entry ?? {}) as Record<string, unknown>;
    if (typeof g['name'] === 'string') {
      if (seen.has(g['name'])) problems.push(`${file}: guests[${i}].name: expected a unique name, "${g['name']}" is used twice`);
      seen.add(g['name']);
    }
    if (typeof g['core'] === 'number' && g['core'] >= cores) {
      problems.push(`${file}: guests[${i}].core: expected a core below cores (${cores}), got ${g['core']}`);
    }
    for (const role of ['code', 'sram'] as const) problems.push(...sizeProblem(g[`${role}-size`], role, board, `${file}: guests[${i}]`));
    problems.push(...ioProblems(g, raw, `${file}: guests[${i}]`));
    if (g['gdb-wait'] === true && g['gdb'] === undefined) problems.push(`${file}: guests[${i}].gdb-wait: expected a gdb port for this guest to wait on`);
    if (typeof g['gdb'] === 'number' && g['gdb'] !== 0 && ports.has(g['gdb'])) {
      problems.push(`${file}: guests[${i}].gdb: expected a port no other guest uses, ${g['gdb']} is used twice`);
    }
    if (typeof g['gdb'] === 'number') ports.add(g['gdb']);
  });
  const io = raw['io'] as Record<string, unknown> | undefined;
  const driver = io?.['driver-vm'] as Record<string, unknown> | undefined;
  if (typeof driver?.['core'] === 'number' && driver['core'] >= cores) {
    problems.push(`${file}: io.driver-vm.core: expected a core below cores (${cores}), got ${driver['core']}`);
  }
  if (typeof driver?.['name'] === 'string' && seen.has(driver['name'])) {
    problems.push(`${file}: io.driver-vm.name: expected a name no guest uses, "${driver['name']}" is a guest`);
  }
  problems.push(...schedulerSectionProblems(raw, seen, cores, board, file));
  return problems;
}

/** The scheduler section's cross-field problems, when the section itself is well-formed. */
function schedulerSectionProblems(raw: Record<string, unknown>, guests: ReadonlySet<string>, cores: number, board: BoardDescription | undefined, file: string): string[] {
  if (raw['scheduler'] === undefined || !board) return [];
  const parsed = schedulerSchema.safeParse(raw['scheduler']);
  if (!parsed.success) return [];
  const sliceCycles = typeof raw['slice-cycles'] === 'number' ? raw['slice-cycles'] : DEFAULT_SLICE_CYCLES;
  const driver = (raw['io'] as Record<string, unknown> | undefined)?.['driver-vm'] as Record<string, unknown> | undefined;
  const names = new Set(guests);
  if (driver) names.add(typeof driver['name'] === 'string' ? driver['name'] : 'driver-vm');
  const driverCore = driver ? (typeof driver['core'] === 'number' ? driver['core'] : cores - 1) : undefined;
  const resolved = resolveScheduler(parsed.data, board.clockHz, sliceCycles);
  return schedulerProblems(resolved, { names, cores, driverCore }, `${file}: scheduler`);
}

function ioProblems(g: Record<string, unknown>, raw: Record<string, unknown>, where: string): string[] {
  const path = g['io-path'];
  const hasDriver = typeof (raw['io'] as Record<string, unknown> | undefined)?.['driver-vm'] === 'object';
  const problems: string[] = [];
  if ((path === 'in-context' || path === 'split') && !hasDriver) {
    problems.push(`${where}.io-path: expected io.driver-vm to be configured for the ${path} path`);
  }
  if (g['disk'] !== undefined && path === undefined) problems.push(`${where}.disk: expected an io-path for a guest with a disk`);
  for (const field of ['disk-format', 'disk-snapshot']) {
    if (g[field] !== undefined && g['disk'] === undefined) problems.push(`${where}.${field}: expected a disk for this guest to apply to`);
  }
  return problems;
}

function sizeProblem(value: unknown, role: 'code' | 'sram', board: BoardDescription | undefined, where: string): string[] {
  const size = typeof value === 'number' ? value : typeof value === 'string' ? parseSize(value) : undefined;
  const region = board?.memory.find((m) => m.role === role);
  if (size === undefined || !region || size <= region.size) return [];
  return [`${where}.${role}-size: expected at most ${region.size} bytes (${region.name} on ${board!.name}), got ${size}`];
}

/** zod issues as `file: field.path: message` lines. */
export function formatIssues(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues
    .map((issue) => {
      const path = formatPath(issue.path);
      if (issue.code === 'unrecognized_keys') {
        return `${file}: ${path || '(top level)'}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `${file}: ${path || '(top level)'}: ${issue.message.replace(/^Invalid input: /, '')}`;
    });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
