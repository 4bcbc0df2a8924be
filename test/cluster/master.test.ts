/** The master's quantum loop over modelled (fake) slaves: dispatch latency, queueing, refusal, failures. */
import { describe, expect, it } from 'vitest';
import { Master } from '../../hv/cluster/master/master.ts';
import type { SlaveSpec } from '../../hv/cluster/messages.ts';
import { type PolicyName, createPolicy } from '../../hv/cluster/policies.ts';
import { DEFAULT_WEIGHTS } from '../../hv/cluster/cluster-file.ts';
import { ModelSlave } from '../../hv/cluster/slave/model-slave.ts';
import { InProcessLink } from '../../hv/cluster/transport/in-process.ts';
import type { Workload } from '../../hv/cluster/workload.ts';

const Q = 100_000;
const MiB = 1 << 20;

function spec(name: string, cores = 1, vcpusPerCore = 2, memory = 64 * MiB): SlaveSpec {
  return { name, cores, memory, vcpusPerCore, ioLanes: 1, diskTiming: 'sd-spi', timing: 'instruction', sliceCycles: 25_000 };
}

/** A workload that runs `length` cycles alone, busy a fraction `busy` of each window. */
function workload(name: string, arrival: number, length: number, busy = 1, memory = 8 * MiB, io = 0): Workload {
  const windows = Math.ceil(length / Q);
  const busyPerWindow = Array.from({ length: windows }, (_, i) => Math.round(busy * Math.min(Q, length - i * Q)));
  const ioPerWindow = io > 0 ? Array.from({ length: windows }, (_, i) => Math.round(io * Math.min(Q, length - i * Q))) : [];
  return {
    name,
    kind: busy === 1 ? 'cpu' : 'io',
    arrival,
    budget: null,
    demand: { memory, io: io > 0 },
    image: { label: 'fake.elf', sha256: '0'.repeat(64), bytes: new Uint8Array() },
    guest: { cmdline: '', 'console-limit': 1024, semihosting: true },
    profile: { window: Q, busy: busyPerWindow, io: ioPerWindow, length, state: 'halted', exitCode: 0 },
  };
}

async function run(slaves: SlaveSpec[], workloads: Workload[], o: { policy?: PolicyName; failures?: Array<{ slave: string; at: number }> } = {}) {
  const link = new InProcessLink(slaves.length, () => new ModelSlave());
  const policy = createPolicy(o.policy ?? 'resource-use', { seed: 1, weights: DEFAULT_WEIGHTS });
  const master = new Master({ quantum: Q, until: 1e9, slaves, workloads, policy, failures: o.failures ?? [], images: false }, link);
  const result = await master.run();
  link.close();
  return { ...result, outcome: (name: string) => result.outcomes.find((x) => x.name === name)! };
}

describe('the master', () => {
  it('starts a workload one quantum after the boundary at which it was dispatched', async () => {
    const r = await run([spec('a', 2)], [workload('w0', 0, 250_000), workload('w1', 150_000, 50_000)]);
    expect(r.outcome('w0')).toMatchObject({ status: 'halted', slave: 'a', start: Q, end: Q + 250_000, queueing: Q, completion: Q + 250_000 });
    // w1 arrives mid-quantum: queued at 200000, starts at 300000.
    expect(r.outcome('w1').start).toBe(3 * Q);
    // cpu (0 + 0 + 1) / 2 cores, vcpus 1 / 4, memory 8 / 64 MiB
    expect(r.log[0]).toBe('0 dispatch w0 (cpu) -> a, starts 100000 score 0.3500');
  });

  it('keeps a workload in the queue while every slave is full and dispatches it when one frees', async () => {
    const r = await run([spec('a', 1, 1)], [workload('long', 0, 300_000), workload('next', 0, 100_000)]);
    expect(r.outcome('long').start).toBe(Q);
    // long ends at 400000; the report arrives at 400000, the dispatch takes effect at 500000.
    expect(r.outcome('next')).toMatchObject({ status: 'halted', start: 5 * Q, queueing: 5 * Q });
    expect(r.queue.some((q) => q.waiting === 1)).toBe(true);
  });

  it('refuses a workload no slave could ever take, with the reason, and runs the others', async () => {
    const r = await run([spec('a', 1, 2, 16 * MiB)], [workload('huge', 0, Q, 1, 32 * MiB), workload('ok', 0, Q)]);
    expect(r.outcome('huge')).toMatchObject({ status: 'refused', slave: null, attempts: 0 });
    expect(r.outcome('huge').detail).toBe('asks for 33554432 bytes of memory, the largest slave that is up offers 16777216');
    expect(r.outcome('ok').status).toBe('halted');
  });

  it('shares a core between two CPU-bound workloads (each takes twice as long) but not with a sleeper', async () => {
    const r = await run([spec('a', 1, 4)], [workload('c1', 0, 200_000), workload('c2', 0, 200_000), workload('s', 0, 200_000, 0)]);
    expect(r.outcome('c1').end! - r.outcome('c1').start!).toBe(400_000);
    expect(r.outcome('s').end! - r.outcome('s').start!).toBe(200_000);
  });

  it('re-dispatches the work of a failed node elsewhere and counts what was lost', async () => {
    const r = await run([spec('a'), spec('b')], [workload('w0', 0, 500_000), workload('w1', 0, 500_000)], { failures: [{ slave: 'a', at: 3 * Q }], policy: 'round-robin' });
    const w0 = r.outcome('w0');
    expect(w0).toMatchObject({ status: 'halted', slave: 'b', attempts: 2, lostCycles: 2 * Q });
    expect(r.lostCycles).toBe(2 * Q);
    expect(r.slaves[0]!.failedAt).toBe(3 * Q);
    expect(r.log).toContain('300000 lost w0 on a after 200000 cycles: back in the queue');
    // w0 waits for b's vCPU: w1 runs there until 600000 (b has 2 vCPU slots: it starts at 400000).
    expect(w0.start).toBe(4 * Q);
  });

  it('places I/O workloads only where an I/O lane is free, and counts measured I/O pressure', async () => {
    const noIo = { ...spec('plain', 2), ioLanes: 0 };
    const r = await run([noIo, spec('disk', 1, 4)], [workload('io-1', 0, 300_000, 0.2, 8 * MiB, 0.5), workload('io-2', 0, 300_000, 0.2, 8 * MiB, 0.5), workload('cpu', 0, 300_000)]);
    expect(r.outcome('io-1').slave).toBe('disk');
    // One lane: io-2 waits for io-1 (ends at 400000; dispatched at 400000, starts 500000).
    expect(r.outcome('io-2')).toMatchObject({ slave: 'disk', start: 5 * Q });
    expect(r.outcome('cpu').slave).toBe('plain');
    const lone = await run([noIo], [workload('io', 0, Q, 0.2, 8 * MiB, 0.5)]);
    expect(lone.outcome('io')).toMatchObject({ status: 'refused', detail: 'needs an I/O lane, and no slave that is up has one' });
  });

  it('refuses everything left when every slave is down', async () => {
    const r = await run([spec('a')], [workload('w0', 0, 500_000), workload('w1', 400_000, Q)], { failures: [{ slave: 'a', at: 2 * Q }] });
    expect(r.outcomes.map((o) => o.status)).toEqual(['refused', 'refused']);
    expect(r.outcome('w1').detail).toBe('every slave is down');
  });

  it('skips idle quanta between far-apart arrivals and gives the same results every time', async () => {
    const workloads = () => [workload('early', 0, Q), workload('late', 1000 * Q + 1, Q)];
    const r = await run([spec('a')], workloads());
    expect(r.outcome('late').start).toBe(1002 * Q);
    expect(r.messages).toBeLessThan(20);
    expect(JSON.stringify(await run([spec('a')], workloads()))).toBe(JSON.stringify(r));
  });
});
