/**
 * Cluster benchmarks for `npm run bench` (printed, never asserted):
 *  - parallel speed-up of two local slaves on two host cores (two worker threads) against the same
 *    two slaves in one worker thread, each slave running a CPU-bound guest (aim >= 1.7x); timed
 *    from the first quantum to the last report, so worker start-up is left out (and shown apart);
 *  - synchronisation cost per quantum per slave: empty quanta over NATS (a private nats-server,
 *    slaves as child processes), and over the local transport for comparison;
 *  - dispatch decisions per second at 1,000 slaves, per policy.
 * Timings alternate their runs and report medians.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_WEIGHTS, validateCluster } from '../hv/cluster/cluster-file.ts';
import { Dispatcher } from '../hv/cluster/master/dispatcher.ts';
import type { MasterLink } from '../hv/cluster/master/master.ts';
import type { MasterBody, SlaveSpec } from '../hv/cluster/messages.ts';
import { POLICY_NAMES, createPolicy } from '../hv/cluster/policies.ts';
import { newRecord } from '../hv/cluster/resources.ts';
import { runCluster } from '../hv/cluster/run-cluster.ts';
import { LocalTransport } from '../hv/cluster/transport/local.ts';
import { NatsMasterTransport } from '../hv/cluster/transport/nats-master.ts';
import { startNatsServer } from '../hv/cluster/transport/nats-server.ts';
import { type Workload, clusterWorkloads } from '../hv/cluster/workload.ts';

const JOB = resolve(import.meta.dirname, '..', 'firmware', 'build', 'job.elf');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function mark(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

interface Window {
  first?: number;
  last?: number;
  cpu0?: NodeJS.CpuUsage;
  /** CPU seconds of the whole process (all its threads) in the window. */
  cpu?: number;
}

/** Host seconds from the first step sent to the last reply taken (the slaves' run, not their start-up). */
function timedLink(link: MasterLink, times: Window): MasterLink {
  return {
    send(slave: number, body: MasterBody) {
      if (body.kind === 'step' && times.first === undefined) {
        times.first = performance.now();
        times.cpu0 = process.cpuUsage();
      }
      link.send(slave, body);
    },
    async receive(slave: number) {
      const body = await link.receive(slave);
      times.last = performance.now();
      const used = process.cpuUsage(times.cpu0);
      times.cpu = (used.user + used.system) / 1e6;
      return body;
    },
  };
}

async function parallelSpeedup(trials = 5): Promise<void> {
  const config = validateCluster(
    {
      quantum: 250_000,
      slaves: [{ name: 'a', cores: 1 }, { name: 'b', cores: 1 }],
      workloads: [
        { name: 'cpu-a', image: JOB, cmdline: 'work=2000 rounds=8' },
        { name: 'cpu-b', image: JOB, cmdline: 'work=2000 rounds=8' },
      ],
    },
    'bench',
  );
  const workloads = clusterWorkloads(config);
  const run = async (threads: number) => {
    const times: Window = {};
    const started = performance.now();
    await runCluster(config, workloads, { transport: 'local', threads, log: () => {}, wrapLink: (l) => timedLink(l, times) });
    const run = (times.last! - times.first!) / 1000;
    return { run, total: (performance.now() - started) / 1000, cores: times.cpu! / run };
  };
  await run(2);
  const ratios: number[] = [];
  const one: number[] = [];
  const two: number[] = [];
  const totals: number[] = [];
  const cores: number[] = [];
  for (let i = 0; i < trials; i++) {
    const single = await run(1);
    const double = await run(2);
    one.push(single.run);
    two.push(double.run);
    cores.push(double.cores);
    totals.push(single.total / double.total);
    ratios.push(single.run / double.run);
  }
  const speedup = median(ratios);
  console.log(`cluster: two local slaves, a CPU-bound guest each (2 x 96M cycles), ${availableParallelism()} host cores, median of ${trials} alternating pairs`);
  console.log(`  one worker thread  ${median(one).toFixed(2)} s; two worker threads ${median(two).toFixed(2)} s (from the first quantum to the last report)`);
  console.log(`  parallel speed-up  ${speedup.toFixed(2)}x (aim >= 1.7x) ${mark(speedup >= 1.7)}; pairs ${ratios.map((r) => r.toFixed(2)).join(' ')}; with worker start-up ${median(totals).toFixed(2)}x`);
  // CPU seconds over wall seconds of the two-thread runs: how many cores the host actually gave.
  console.log(`  host cores used by the two-thread runs ${median(cores).toFixed(2)} (2 when the host is otherwise idle)`);
}

function slaveSpec(name: string): SlaveSpec {
  return { name, cores: 1, memory: 64 << 20, vcpusPerCore: 4, ioLanes: 0, diskTiming: 'sd-spi', timing: 'instruction', sliceCycles: 25_000 };
}

/** Microseconds per empty quantum per slave through `link` (the slaves are up; nothing runs). */
async function emptyQuanta(link: MasterLink, slaves: number, quanta: number): Promise<number> {
  for (let s = 0; s < slaves; s++) link.send(s, { kind: 'init', quantum: 1000, slave: slaveSpec(`s${s}`) });
  for (let s = 0; s < slaves; s++) await link.receive(s);
  const step = async (from: number) => {
    for (let s = 0; s < slaves; s++) link.send(s, { kind: 'step', from, to: from + 1000, start: [], fail: false });
    for (let s = 0; s < slaves; s++) await link.receive(s);
  };
  for (let q = 0; q < 50; q++) await step(q * 1000);
  const started = performance.now();
  for (let q = 50; q < 50 + quanta; q++) await step(q * 1000);
  return ((performance.now() - started) * 1000) / quanta / slaves;
}

async function syncCost(slaves = 4, quanta = 1000): Promise<void> {
  const server = await startNatsServer('bench', 'bench-password-0123');
  const nats = await NatsMasterTransport.open({
    nats: { url: server.url, user: 'bench', password: 'bench-password-0123', secret: 'bench-secret-0123', cluster: 'bench' },
    slaves: Array.from({ length: slaves }, (_, i) => ({ name: `s${i}`, remote: false })),
    heartbeatTimeoutMs: 30_000,
    log: () => {},
  });
  const local = new LocalTransport({ slaves, log: () => {} });
  try {
    const overNats = await emptyQuanta(nats.link, slaves, quanta);
    const overLocal = await emptyQuanta(local.link, slaves, quanta);
    console.log(`cluster: synchronisation cost of an empty quantum (${slaves} slaves, ${quanta} quanta; a step out and a report back per slave)`);
    console.log(`  NATS (slave processes, private nats-server)  ${overNats.toFixed(0)} us per quantum per slave`);
    console.log(`  local (worker threads)                      ${overLocal.toFixed(0)} us per quantum per slave`);
  } finally {
    await local.close();
    await nats.close();
    await server.stop();
  }
}

function decisionsPerSecond(slaves = 1000, decisions = 100_000): void {
  const image = { label: 'x.elf', sha256: '0'.repeat(64), bytes: new Uint8Array() };
  const guest = { cmdline: '', 'console-limit': 1024, semihosting: true };
  const queue: Workload[] = Array.from({ length: decisions }, (_, i) => ({ name: `w${i}`, kind: 'cpu', arrival: i, budget: null, demand: { memory: 8 << 20, io: false }, image, guest }));
  console.log(`cluster: dispatch decisions per second at ${slaves} slaves (${decisions} queued workloads, each fits everywhere)`);
  for (const name of POLICY_NAMES) {
    const rates: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const records = Array.from({ length: slaves }, (_, i) => ({ ...newRecord(`s${i}`, i, { cores: 2, memory: 2 ** 50, vcpus: 1_000_000, io: 0 }), load: (i % 7) / 4 }));
      const dispatcher = new Dispatcher(createPolicy(name, { seed: 1, weights: DEFAULT_WEIGHTS }), records);
      dispatcher.enqueue(queue);
      const started = performance.now();
      const { decisions: made } = dispatcher.decide();
      rates.push(made.length / ((performance.now() - started) / 1000));
    }
    console.log(`  ${name.padEnd(15)} ${Math.round(median(rates)).toLocaleString('en')} decisions/s`);
  }
}

export async function clusterBench(): Promise<void> {
  await parallelSpeedup();
  await syncCost();
  decisionsPerSecond();
}
