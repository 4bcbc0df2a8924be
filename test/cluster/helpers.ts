/** A small real cluster (three guest kinds, a node failure) and what must match between runs. */
import { type ClusterConfig, validateCluster } from '../../hv/cluster/cluster-file.ts';
import type { ClusterRun, MasterLink } from '../../hv/cluster/master/master.ts';
import type { MasterBody } from '../../hv/cluster/messages.ts';
import { imagePath } from '../helpers/run-system.ts';

export function smallCluster(extra: Record<string, unknown> = {}): ClusterConfig {
  const job = imagePath('job');
  return validateCluster(
    {
      quantum: 200_000,
      slaves: [{ name: 'a', cores: 2 }, { name: 'b', cores: 1 }],
      failures: [{ slave: 'b', at: 1_400_000 }],
      workloads: [
        { name: 'cpu-1', kind: 'cpu', image: job, cmdline: 'work=100 rounds=2' },
        { name: 'io-1', kind: 'io', image: job, cmdline: 'work=5 sleep=8000 rounds=5', arrival: 50_000 },
        { name: 'hello', kind: 'latency', image: imagePath('hello'), arrival: 100_000 },
        { name: 'budget', kind: 'cpu', image: imagePath('compute'), cycles: 900_000, arrival: 250_000 },
        { name: 'cpu-2', kind: 'cpu', image: job, cmdline: 'work=60 rounds=3', arrival: 300_000 },
        { name: 'late', kind: 'latency', image: job, cmdline: 'work=5 rounds=1', arrival: 2_000_000 },
      ],
      ...extra,
    },
    'test-cluster.yaml',
  );
}

/** Everything a run produced that must not depend on the transport or the host. */
export function canonical(run: ClusterRun): string {
  return JSON.stringify(run);
}

/** A link that calls `hook` after each input it passes on (to inject faults at a point of the exchange). */
export function tapLink(link: MasterLink, hook: (slave: number, body: MasterBody, sent: number) => void): MasterLink {
  const sent = new Map<number, number>();
  return {
    send(slave, body) {
      link.send(slave, body);
      const n = (sent.get(slave) ?? 0) + 1;
      sent.set(slave, n);
      hook(slave, body, n);
    },
    receive: (slave) => link.receive(slave),
  };
}
