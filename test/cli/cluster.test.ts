/** `hv cluster run`, `hv cluster slave` and `hv experiment cluster` as a user runs them. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runHv } from '../helpers/hv-cli.ts';

const temp = makeTempDir('hvlab-cluster-cli-');
afterAll(() => temp.remove());

/** Every file under `dir` with its content, by relative path. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

describe('hv cluster run', () => {
  it('runs guests/cluster.yaml, prints where each workload ran, and writes the same files over NATS', { timeout: 180_000 }, () => {
    const local = join(temp.dir, 'local');
    const nats = join(temp.dir, 'nats');
    const a = runHv(['cluster', 'run', 'guests/cluster.yaml', '--out', local]);
    expect(a.stderr).toMatch(/host: [\d.]+ s, transport local, 0 slave processes replaced/);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('cluster guests/cluster.yaml: 3 slaves, 13 workloads, policy resource-use, quantum 250000 cycles');
    for (const name of ['crunch-1', 'waiter-1', 'hello-1', 'checksums', 'disk-1', 'quick-2', 'hello-2']) {
      expect(a.stdout).toMatch(new RegExp(`│ ${name} +│ \\S+ +│ (halted|ended) +│ (alpha|beta|gamma) +│`));
    }
    const files = tree(local);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['results.json', 'dispatch.log', 'trace.json', 'slaves/alpha.json', 'console/hello-1.log']));
    expect(files['console/hello-1.log']).toBe('hello: booted\nhello: sum(1..100) = 5050\nhello: done\n');
    const results = JSON.parse(files['results.json']!);
    expect(Object.keys(results.policies[0]).sort()).toEqual(['completion', 'imbalance', 'lostCycles', 'makespan', 'messagesPerWorkload', 'name', 'queueing', 'refused', 'unfinished', 'utilisation'].sort());
    expect(results.policies[0].utilisation).toHaveLength(3);
    expect(results.policies[0].lostCycles).toBeGreaterThan(0);
    expect(files['dispatch.log']).toMatch(/^6000000 fail beta: \d+ workloads back in the queue/m);
    const trace = JSON.parse(files['trace.json']!);
    expect(trace.traceEvents.filter((e: { name: string }) => e.name === 'process_name').map((e: { args: { name: string } }) => e.args.name)).toEqual(['master', 'slave alpha', 'slave beta', 'slave gamma']);

    const b = runHv(['cluster', 'run', 'guests/cluster.yaml', '--transport', 'nats', '--out', nats]);
    expect(b.status).toBe(0);
    expect(b.stderr).toMatch(/transport nats/);
    expect(tree(nats)).toEqual(files);
    expect(b.stdout.replace(nats, 'DIR')).toBe(a.stdout.replace(local, 'DIR'));
  });

  it('reports bad input in one line with exit status 2', () => {
    const bad = join(temp.dir, 'bad.yaml');
    writeFileSync(bad, 'slaves:\n  - { name: a, cores: 0 }\nworkloads:\n  - { name: w, image: nowhere.elf, disk-size: 1MiB }\nfailures:\n  - { slave: zz, at: 5 }\n');
    const r = runHv(['cluster', 'run', bad, '--out', join(temp.dir, 'bad')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}: slaves[0].cores: Too small: expected number to be >=1`);
    const semantic = join(temp.dir, 'semantic.yaml');
    writeFileSync(semantic, 'slaves:\n  - { name: a }\nworkloads:\n  - { name: w, image: nowhere.elf, disk-size: 1MiB }\nfailures:\n  - { slave: zz, at: 5 }\n');
    const s = runHv(['cluster', 'run', semantic]);
    expect(s.status).toBe(2);
    expect(s.stderr).toContain(`${semantic}: workloads[0].disk-size: expected an io-path for a workload with a disk`);
    expect(s.stderr).toContain(`${semantic}: failures[0].slave: expected one of the slaves (a), got "zz"`);
    expect(runHv(['cluster', 'run', join(temp.dir, 'missing.yaml')]).stderr).toMatch(/missing\.yaml: cannot read cluster file: ENOENT/);
    const transport = runHv(['cluster', 'run', 'guests/cluster.yaml', '--transport', 'pigeon']);
    expect([transport.status, transport.stderr]).toEqual([2, 'hv: --transport: expected local or nats, got "pigeon"\n']);
    const image = join(temp.dir, 'image.yaml');
    writeFileSync(image, 'slaves:\n  - { name: a }\nworkloads:\n  - { name: w, image: nowhere.elf }\n');
    expect(runHv(['cluster', 'run', image]).stderr).toMatch(/nowhere\.elf: cannot read image: ENOENT/);
    for (const r of [s, transport]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hv cluster slave', () => {
  it('needs the credentials from the environment', () => {
    const r = runHv(['cluster', 'slave', '--nats', 'nats://127.0.0.1:1', '--name', 'x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hv: HV_NATS_USER, HV_NATS_PASSWORD and HV_CLUSTER_SECRET must be set (the NATS credentials and the cluster\'s message key)\n');
    expect(runHv(['cluster', 'slave', '--nats', 'nats://u:p@host:1', '--name', 'x']).stderr).toMatch(/^hv: --nats: expected a URL such as nats:\/\/host:4222/);
  });
});

describe('hv experiment cluster', () => {
  it('compares every policy in a table, results.json and charts, the same on every run', { timeout: 120_000 }, () => {
    const run = (dir: string) => runHv(['experiment', 'cluster', '--mode', 'model', '--slaves', '3', '--workloads', '60', '--load', '0.9', '--out', dir]);
    const first = run(join(temp.dir, 'e1'));
    expect(first.status).toBe(0);
    for (const policy of ['resource-use', 'round-robin', 'random', 'least-loaded', 'power-of-two', 'most-allocated']) expect(first.stdout).toMatch(new RegExp(`│ ${policy} +│ \\d+ +│`));
    const results = JSON.parse(readFileSync(join(temp.dir, 'e1', 'results.json'), 'utf8'));
    expect(results.policies.map((p: { name: string }) => p.name)).toHaveLength(6);
    for (const p of results.policies) {
      expect(p).toMatchObject({ completion: { mean: expect.any(Number), p99: expect.any(Number) }, queueing: { mean: expect.any(Number), p99: expect.any(Number) }, refused: 0 });
      expect(p.utilisation).toHaveLength(3);
      expect(p.makespan).toBeGreaterThan(0);
    }
    for (const file of ['times.svg', 'utilisation.svg', 'resource-use/trace.json', 'resource-use/dispatch.log']) expect(existsSync(join(temp.dir, 'e1', file))).toBe(true);
    run(join(temp.dir, 'e2'));
    expect(readFileSync(join(temp.dir, 'e2', 'results.json'), 'utf8')).toBe(readFileSync(join(temp.dir, 'e1', 'results.json'), 'utf8'));
    expect(readFileSync(join(temp.dir, 'e2', 'times.svg'), 'utf8')).toBe(readFileSync(join(temp.dir, 'e1', 'times.svg'), 'utf8'));
    const bad = runHv(['experiment', 'cluster', '--policies', 'resource-use,fastest']);
    expect([bad.status, bad.stderr]).toEqual([2, 'hv: --policies: expected a comma-separated list of resource-use, round-robin, random, least-loaded, power-of-two, most-allocated; got "resource-use,fastest"\n']);
    expect(runHv(['experiment', 'cluster', '--load', '-1']).stderr).toBe('hv: --load: expected a number above 0 and at most 10, got "-1"\n');
  });
});
