/** Slaves in worker threads: the same results as in the master's thread, whatever the thread count, also after a crash. */
import { beforeAll, describe, expect, it } from 'vitest';
import { runCluster } from '../../hv/cluster/run-cluster.ts';
import type { LocalTransport } from '../../hv/cluster/transport/local.ts';
import { clusterWorkloads } from '../../hv/cluster/workload.ts';
import { canonical, smallCluster, tapLink } from './helpers.ts';

const config = smallCluster();
let reference: string;

beforeAll(async () => {
  const { run } = await runCluster(config, clusterWorkloads(config), { transport: 'in-process', log: () => {} });
  reference = canonical(run);
  // The run exercises what it should: every kind finishes, the failure loses work.
  expect(run.outcomes.map((o) => o.status)).toEqual(['halted', 'halted', 'halted', 'ended', 'halted', 'halted']);
  expect(run.lostCycles).toBeGreaterThan(0);
});

describe('the local transport', () => {
  it.each([1, 2])('gives byte-identical results with %i worker thread(s)', async (threads) => {
    const log: string[] = [];
    const { run, host } = await runCluster(config, clusterWorkloads(config), { transport: 'local', threads, log: (l) => log.push(l) });
    expect(canonical(run)).toBe(reference);
    expect(host.replacements).toBe(0);
    expect(log).toEqual([]);
  });

  it('replaces a worker that dies mid-run and replays its inputs: results unchanged', async () => {
    let transport: LocalTransport | undefined;
    const log: string[] = [];
    const { run, host } = await runCluster(config, clusterWorkloads(config), {
      transport: 'local',
      log: (l) => log.push(l),
      onTransport: (t) => (transport = t as LocalTransport),
      wrapLink: (link) => tapLink(link, (slave, _body, sent) => slave === 0 && sent === 5 && void transport!.crash(0)),
    });
    expect(host.replacements).toBe(1);
    expect(log.some((l) => /worker 0 \(slaves 0\) died: replaced, inputs replayed/.test(l))).toBe(true);
    expect(canonical(run)).toBe(reference);
  });
});
