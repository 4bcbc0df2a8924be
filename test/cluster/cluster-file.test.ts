/** The cluster file: defaults, paths, every problem at once with its field path. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, loadClusterFile, validateCluster } from '../../hv/cluster/cluster-file.ts';
import { clusterWorkloads } from '../../hv/cluster/workload.ts';
import { ConfigError } from '../../hv/errors.ts';
import { thrown } from '../helpers/thrown.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

describe('the cluster file', () => {
  it('fills in the documented defaults and resolves paths against the file', () => {
    const c = validateCluster({ slaves: [{ name: 'a' }], workloads: [{ name: 'w', image: 'fw/x.elf' }] }, '/some/dir/c.yaml');
    expect(c).toMatchObject({ quantum: 250_000, seed: 1, policy: 'resource-use', failures: [] });
    expect(c.slaves[0]).toEqual({ name: 'a', cores: 2, memory: 64 << 20, 'vcpus-per-core': 4, 'io-lanes': 0, 'disk-timing': 'sd-spi', remote: false, timing: 'instruction', 'slice-cycles': 25_000 });
    expect(c.workloads[0]).toMatchObject({ image: '/some/dir/fw/x.elf', kind: 'other', arrival: 0, cmdline: '', 'console-limit': 16384, semihosting: true });
    expect(DEFAULT_WEIGHTS).toEqual({ cpu: 0.5, vcpus: 0.3, memory: 0.2, io: 0.3 });
    expect(validateCluster({ slaves: [{ name: 'a' }], workloads: [{ name: 'w', image: 'x' }], policy: { name: 'resource-use', weights: { cpu: 1 } } }, 'c.yaml').policy).toEqual({ name: 'resource-use', weights: { ...DEFAULT_WEIGHTS, cpu: 1 } });
  });

  it('reports every problem at once, each with its file and field', () => {
    const error = thrown(() =>
      validateCluster(
        {
          slaves: [{ name: 'a', cores: 0 }, { name: 'a' }],
          workloads: [{ name: 'w', image: 'x', memory: '1MiB' }, { name: 'w', image: 'y', 'disk-size': '1MiB' }],
          failures: [{ slave: 'nope', at: 1 }],
          policy: 'fastest',
          extra: 1,
        },
        'c.yaml',
      ),
      ConfigError,
    );
    const lines = error.message.split('\n');
    expect(lines).toContain('c.yaml: slaves[0].cores: Too small: expected number to be >=1');
    expect(lines).toContain('c.yaml: (top level): unknown field "extra"');
    expect(lines.some((l) => l.startsWith('c.yaml: policy: '))).toBe(true);
    const semantic = thrown(() =>
      validateCluster({ slaves: [{ name: 'a' }, { name: 'a' }], workloads: [{ name: 'w', image: 'x', memory: '1MiB' }, { name: 'w', image: 'y', 'disk-size': '1MiB' }], failures: [{ slave: 'nope', at: 1 }] }, 'c.yaml'),
      ConfigError,
    );
    expect(semantic.message.split('\n')).toEqual([
      'c.yaml: slaves[1].name: expected a unique name, "a" is used twice',
      'c.yaml: workloads[0].memory: expected at least its code-size plus sram-size (8388608 bytes), got 1048576',
      'c.yaml: workloads[1].name: expected a unique name, "w" is used twice',
      'c.yaml: workloads[1].disk-size: expected an io-path for a workload with a disk',
      'c.yaml: failures[0].slave: expected one of the slaves (a), got "nope"',
    ]);
    expect(thrown(() => validateCluster({ slaves: [{ name: 'a' }] }, 'c.yaml'), ConfigError).message).toBe('c.yaml: workloads: expected at least one workload, or a generate section');
  });

  it('loads guests/cluster.yaml, and its workloads in arrival order with their images read once', () => {
    const c = loadClusterFile(join(REPO_ROOT, 'guests/cluster.yaml'));
    const workloads = clusterWorkloads(c);
    expect(workloads.map((w) => w.arrival)).toEqual([...workloads.map((w) => w.arrival)].sort((a, b) => a - b));
    const jobs = workloads.filter((w) => w.image.label === 'job.elf');
    expect(new Set(jobs.map((w) => w.image))).toHaveProperty('size', 1);
    expect(workloads.find((w) => w.name === 'disk-1')!.demand).toEqual({ memory: 8 << 20, io: true });
  });

  it('generates the same workloads for the same seed and other ones for another', () => {
    const file = (seed: number) => validateCluster({ slaves: [{ name: 'a' }], generate: { count: 30, firmware: join(REPO_ROOT, 'firmware/build'), seed } }, join(REPO_ROOT, 'c.yaml'));
    const names = (seed: number) => clusterWorkloads(file(seed)).map((w) => `${w.name}@${w.arrival}:${w.guest.cmdline}`);
    expect(names(3)).toEqual(names(3));
    expect(names(3)).not.toEqual(names(4));
    expect(new Set(clusterWorkloads(file(3)).map((w) => w.kind))).toEqual(new Set(['cpu', 'io', 'latency']));
  });
});
