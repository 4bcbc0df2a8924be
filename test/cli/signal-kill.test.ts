/**
 * Ctrl-C and SIGTERM never lose an acknowledged write: real `hv run` processes running a
 * write-heavy guest (firmware/build/ackwrite.elf, which prints every write the device
 * acknowledged) on qcow2 and raw disks behind a write-back cache, and on disk snapshots, are
 * killed with SIGINT or SIGTERM at seeded random points (while Node starts and the system boots,
 * or after a random number of acknowledged writes). Each run must end through the one shutdown
 * path with the shell's status (130, 143), print no stack trace, leave a consistent image
 * (`qemu-img check`) that holds every acknowledged write (`qemu-io read -P` on every slot),
 * leave a snapshot's base untouched, write the stats it was asked for, and leave no temporary
 * file behind. A kill that lands before hv installed its handlers (Node still starting) ends the
 * process by the signal itself: then nothing may have run. KILL_SEED and KILL_RUNS change the
 * seed and the number of runs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signalExitStatus } from '../../hv/cli/shutdown-signals.ts';
import { Prng } from '../../hv/storage/sim/prng.ts';
import { checkAckedWrites, parseAckLog } from '../helpers/ack-writes.ts';
import { FIRMWARE, ROOT, makeTempDir } from '../helpers/hv-cli.ts';
import { HAVE_QEMU, NEEDS_QEMU, qemuCheck, qemuImg } from '../storage/helpers.ts';

const SEED = Number(process.env.KILL_SEED ?? 20_251_206);
const RUNS = Number(process.env.KILL_RUNS ?? 20);
const DISK_BYTES = 2 << 20;
const SLOT_BYTES = 4096;

const tmp = makeTempDir('hvlab-signal-kill-');
afterAll(() => tmp.remove());

interface Setup {
  readonly name: string;
  readonly format: 'raw' | 'qcow2';
  readonly path: 'in-context' | 'split' | 'emulated';
  readonly cache: 'back' | 'through';
  readonly snapshot: boolean;
}

const SETUPS: readonly Setup[] = [
  { name: 'qcow2, write-back cache, in-context', format: 'qcow2', path: 'in-context', cache: 'back', snapshot: false },
  { name: 'raw, write-back cache, emulated', format: 'raw', path: 'emulated', cache: 'back', snapshot: false },
  { name: 'qcow2, write-through cache, split', format: 'qcow2', path: 'split', cache: 'through', snapshot: false },
  { name: 'qcow2 snapshot, write-back cache, in-context', format: 'qcow2', path: 'in-context', cache: 'back', snapshot: true },
  { name: 'raw snapshot, write-back cache, emulated', format: 'raw', path: 'emulated', cache: 'back', snapshot: true },
];

type KillPoint = { kind: 'start'; delayMs: number } | { kind: 'acks'; acks: number; delayMs: number };

interface Plan {
  readonly index: number;
  readonly setup: Setup;
  readonly signal: 'SIGINT' | 'SIGTERM';
  readonly at: KillPoint;
  readonly stats: boolean;
}

function plans(): Plan[] {
  const prng = new Prng(SEED);
  const below = (n: number) => prng.nextUint32() % n;
  return Array.from({ length: RUNS }, (_, index) => {
    const at: KillPoint = below(4) === 0 ? { kind: 'start', delayMs: below(2500) } : { kind: 'acks', acks: 1 + below(400), delayMs: below(40) };
    return { index, setup: SETUPS[index % SETUPS.length]!, signal: below(2) === 0 ? 'SIGINT' : 'SIGTERM', at, stats: below(2) === 0 };
  });
}

interface Prepared {
  readonly dir: string;
  readonly tmpdir: string;
  readonly disk: string;
  readonly system: string;
  readonly baseHash: string;
}

function prepare(plan: Plan): Prepared {
  const dir = join(tmp.dir, `run-${plan.index}`);
  const tmpdir = join(dir, 'tmp');
  mkdirSync(tmpdir, { recursive: true });
  const disk = join(dir, `disk.${plan.setup.format}`);
  qemuImg(['create', '-q', '-f', plan.setup.format, disk, String(DISK_BYTES)]);
  const s = plan.setup;
  const system = join(dir, 'system.yaml');
  writeFileSync(
    system,
    [
      'cores: 2',
      'io:',
      `  driver-vm: { image: ${FIRMWARE}/driver-vm.elf, core: 1 }`,
      `  cache: { policy: lru, size: 256KiB, write: ${s.cache} }`,
      'guests:',
      `  - { name: w, image: ${FIRMWARE}/ackwrite.elf, core: 0, io-path: ${s.path}, disk: ${disk}, disk-snapshot: ${s.snapshot}, cmdline: "size=${SLOT_BYTES} seed=${plan.index + 1}" }`,
      '',
    ].join('\n'),
  );
  return { dir, tmpdir, disk, system, baseHash: sha256(disk) };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `hv run`, sends the plan's signal at its kill point, and waits for the end. */
function runAndKill(plan: Plan, p: Prepared): Promise<Ended> {
  const args = [join(ROOT, 'bin/hv.js'), 'run', p.system, ...(plan.stats ? ['--stats', join(p.dir, 'stats.json')] : [])];
  const child = spawn(process.execPath, args, { cwd: p.dir, env: { ...process.env, TMPDIR: p.tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const kill = () => {
    if (sent) return;
    sent = true;
    setTimeout(() => child.kill(plan.signal), plan.at.delayMs);
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (plan.at.kind === 'acks' && (stdout.match(/ackwrite: ack /g)?.length ?? 0) >= plan.at.acks) kill();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  if (plan.at.kind === 'start') kill();
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

interface Outcome {
  readonly plan: Plan;
  readonly acks: number;
  readonly shutDown: boolean;
  readonly problems: string[];
}

function check(plan: Plan, p: Prepared, end: Ended): Outcome {
  const problems: string[] = [];
  const shutDown = end.code === signalExitStatus(plan.signal);
  const log = parseAckLog(end.stdout, 'w');
  if (!shutDown) {
    // Only a kill before hv's handlers exist (Node still starting) may end it by the signal itself.
    if (end.signal !== plan.signal || end.stdout !== '') problems.push(`ended with status ${end.code}, signal ${end.signal}; stderr: ${end.stderr}`);
  }
  if (/internal error|\n\s+at /.test(end.stderr)) problems.push(`stack trace or internal error: ${end.stderr}`);
  if (plan.setup.format === 'qcow2') {
    const checked = qemuCheck(p.disk);
    if (checked.code !== 0) problems.push(`qemu-img check: ${checked.code} ${checked.stdout}${checked.stderr}`);
  }
  if (plan.setup.snapshot) {
    if (sha256(p.disk) !== p.baseHash) problems.push('the snapshot base image changed');
  } else {
    const wrong = checkAckedWrites(p.disk, plan.setup.format, log, DISK_BYTES / SLOT_BYTES, SLOT_BYTES);
    if (wrong.length > 0) problems.push(`${wrong.length} slots lost acknowledged writes: ${wrong.slice(0, 5).join('; ')}`);
  }
  const left = readdirSync(p.tmpdir);
  if (left.length > 0) problems.push(`temporary files left behind: ${left.join(', ')}`);
  if (plan.stats && shutDown) problems.push(...checkStats(join(p.dir, 'stats.json')));
  return { plan, acks: log.acks, shutDown, problems };
}

/** The stats file of an interrupted run: written, of a run that was stopped. */
function checkStats(file: string): string[] {
  if (!existsSync(file)) return ['no stats file'];
  const stats = JSON.parse(readFileSync(file, 'utf8')) as { endReason: string };
  return stats.endReason === 'stopped' ? [] : [`stats endReason ${stats.endReason}`];
}

async function runPlan(plan: Plan): Promise<Outcome> {
  const prepared = prepare(plan);
  return check(plan, prepared, await runAndKill(plan, prepared));
}

describe.skipIf(!HAVE_QEMU)(`hv run killed by SIGINT or SIGTERM at random points${NEEDS_QEMU}`, () => {
  it(`keeps every acknowledged write, leaves consistent images and no temporary files (${RUNS} runs, seed ${SEED})`, async () => {
    const outcomes: Outcome[] = [];
    const queue = plans();
    // Two at a time: the machine has two cores, and the kill points are host times.
    const worker = async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) outcomes.push(await runPlan(plan));
    };
    await Promise.all([worker(), worker()]);
    outcomes.sort((a, b) => a.plan.index - b.plan.index);
    const failures = outcomes.filter((o) => o.problems.length > 0).map((o) => `run ${o.plan.index} (${o.plan.setup.name}, ${o.plan.signal} at ${JSON.stringify(o.plan.at)}): ${o.problems.join(' | ')}`);
    expect(failures).toEqual([]);
    const shutDown = outcomes.filter((o) => o.shutDown);
    const beforeAcks = shutDown.filter((o) => o.acks === 0).length;
    const acks = outcomes.reduce((n, o) => n + o.acks, 0);
    console.log(
      `signal-kill: ${outcomes.length} runs (seed ${SEED}): ${outcomes.length - shutDown.length} killed while Node started (before hv's handlers), ` +
        `${beforeAcks} shut down before the first acknowledged write, ${shutDown.length - beforeAcks} shut down mid-workload; ${acks} acknowledged writes checked`,
    );
    // The plan must reach the workload: most kills land after acknowledged writes.
    expect(outcomes.filter((o) => o.acks > 0).length).toBeGreaterThanOrEqual(RUNS / 2);
  }, 600_000);
});
