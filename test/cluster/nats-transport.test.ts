/**
 * Slaves as separate processes through a real NATS server (started here on 127.0.0.1 and a free
 * port, with a user and password): the same results as the in-process run, also when a slave
 * process is SIGKILLed mid-run and when a rogue client floods the subjects with bad messages.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCluster } from '../../hv/cluster/run-cluster.ts';
import { type Envelope, masterSubject, seal, slaveSubject, unseal } from '../../hv/cluster/transport/envelope.ts';
import type { NatsMasterTransport } from '../../hv/cluster/transport/nats-master.ts';
import { type NatsServer, startNatsServer } from '../../hv/cluster/transport/nats-server.ts';
import { clusterWorkloads } from '../../hv/cluster/workload.ts';
import { canonical, smallCluster, tapLink } from './helpers.ts';

const USER = 'hv-test';
const PASSWORD = 'not-the-real-one-7f3a';
const SECRET = 'cluster-secret-for-tests';
const HV = fileURLToPath(new URL('../../bin/hv.js', import.meta.url));
let server: NatsServer;
let reference: string;

function natsCluster(o: { remote?: string; timeout?: number } = {}) {
  const nats = { url: server.url, user: USER, password: PASSWORD, secret: SECRET, cluster: 'test', 'heartbeat-timeout': o.timeout ?? 20_000 };
  const slaves = smallCluster().slaves.map((s) => ({ name: s.name, cores: s.cores, remote: s.name === o.remote }));
  return smallCluster({ nats, slaves });
}

beforeAll(async () => {
  server = await startNatsServer(USER, PASSWORD);
  const config = smallCluster();
  reference = canonical((await runCluster(config, clusterWorkloads(config), { transport: 'in-process', log: () => {} })).run);
});

afterAll(async () => {
  await server?.stop();
});

describe('the NATS transport', () => {
  it('refuses a connection with the wrong password', async () => {
    await expect(connect({ servers: server.url, user: USER, pass: 'wrong', maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization/i);
  });

  it('replaces a SIGKILLed slave process and replays its inputs: byte-identical results', async () => {
    const config = natsCluster();
    let transport: NatsMasterTransport | undefined;
    let killed: number | undefined;
    const log: string[] = [];
    const { run, host } = await runCluster(config, clusterWorkloads(config), {
      transport: 'nats',
      log: (l) => log.push(l),
      onTransport: (t) => (transport = t as NatsMasterTransport),
      wrapLink: (link) =>
        tapLink(link, (slave, _body, sent) => {
          if (slave !== 0 || sent !== 4) return;
          killed = transport!.pidOf(0);
          process.kill(killed!, 'SIGKILL');
        }),
    });
    expect(killed).toBeGreaterThan(0);
    expect(transport!.pidOf(0)).not.toBe(killed);
    expect(host.replacements).toBe(1);
    expect(log).toContain('nats: slave a lost (its process exited (SIGKILL)); starting a new process and replaying its inputs');
    expect(canonical(run)).toBe(reference);
  });

  it('adopts a remote slave process started elsewhere, and a new one after it dies silently', async () => {
    const config = natsCluster({ remote: 'b', timeout: 3000 });
    const env = { ...process.env, HV_NATS_USER: USER, HV_NATS_PASSWORD: PASSWORD, HV_CLUSTER_SECRET: SECRET };
    const remote = () => spawn(process.execPath, [HV, 'cluster', 'slave', '--nats', server.url, '--name', 'b', '--cluster', 'test'], { env, stdio: 'ignore' });
    const processes = [remote()];
    const log: string[] = [];
    const { run, host } = await runCluster(config, clusterWorkloads(config), {
      transport: 'nats',
      log: (line) => {
        log.push(line);
        if (line.startsWith('nats: slave b lost')) processes.push(remote());
      },
      wrapLink: (link) => tapLink(link, (slave, _body, sent) => slave === 1 && sent === 3 && processes[0]!.kill('SIGSTOP')),
    });
    for (const p of processes) p.kill('SIGKILL');
    expect(log.some((l) => /^nats: slave b lost \(silent for more than 3000 ms\); waiting for a new process: hv cluster slave --name b$/.test(l))).toBe(true);
    expect(host.replacements).toBeGreaterThanOrEqual(1);
    expect(processes.length).toBeGreaterThanOrEqual(2);
    expect(canonical(run)).toBe(reference);
  });

  it('rejects and logs malformed, unauthenticated, out-of-order and stale messages without changing the results', async () => {
    const config = natsCluster();
    const rogue = await connect({ servers: server.url, user: USER, pass: PASSWORD });
    const instances = await sniffInstances(rogue);
    const log: string[] = [];
    let injected = false;
    const { run } = await runCluster(config, clusterWorkloads(config), {
      transport: 'nats',
      log: (l) => log.push(l),
      wrapLink: (link) =>
        tapLink(link, (slave, _body, sent) => {
          if (slave !== 0 || sent !== 3 || injected) return;
          injected = true;
          floodBadMessages(rogue, instances.get('a')!);
        }),
    });
    await rogue.drain();
    expect(injected).toBe(true);
    expect(canonical(run)).toBe(reference);
    const rejections = log.filter((l) => l.includes('rejected a message'));
    for (const reason of [
      'malformed: not JSON',
      'unauthenticated: bad MAC',
      'malformed reply: kind',
      'out of order: expected reply',
      'hello from a second process while the current one is alive',
      'misaddressed',
      '[a] slave a: rejected a message: out of order: expected input',
      '[a] slave a: rejected a message: unauthenticated: bad MAC',
      '[a] slave a: rejected a message: malformed input',
      '[a] slave a: rejected a message: addressed to another process of this slave',
    ]) {
      expect(rejections.some((l) => l.includes(reason)), reason).toBe(true);
    }
    expect(log.join('\n')).not.toContain(PASSWORD);
    expect(log.join('\n')).not.toContain(SECRET);
  });
});

/** Watches the master's subject (as a client holding the secret could) to learn each slave's process id. */
async function sniffInstances(nc: NatsConnection): Promise<Map<string, string>> {
  const instances = new Map<string, string>();
  nc.subscribe(masterSubject('test'), {
    callback: (_error, msg) => {
      const opened = unseal(msg.data, SECRET);
      if ('envelope' in opened && !instances.has(opened.envelope.from)) instances.set(opened.envelope.from, opened.envelope.instance);
    },
  });
  await nc.flush();
  return instances;
}

function floodBadMessages(nc: NatsConnection, instance: string): void {
  const toMaster = (e: Partial<Envelope>, secret = SECRET) =>
    nc.publish(masterSubject('test'), seal({ v: 1, cluster: 'test', from: 'a', to: 'master', instance, seq: 1, body: {}, ...e }, secret));
  const toSlave = (e: Partial<Envelope>, secret = SECRET) =>
    nc.publish(slaveSubject('test', 'a'), seal({ v: 1, cluster: 'test', from: 'master', to: 'a', instance, seq: 1, body: { kind: 'finish' }, ...e }, secret));
  nc.publish(masterSubject('test'), new TextEncoder().encode('{not json'));
  toMaster({ body: { kind: 'ready', capacity: { cores: 1, memory: 1, vcpus: 1, io: 0 } } }, 'a-guessed-secret');
  toMaster({ seq: 2, body: { kind: 'surprise' } });
  toMaster({ seq: 999, body: { kind: 'ready', capacity: { cores: 1, memory: 1, vcpus: 1, io: 0 } } });
  toMaster({ seq: 0, instance: '00000000-dead-beef', body: { kind: 'hello' } });
  toMaster({ seq: 1, from: 'nobody' });
  nc.publish(slaveSubject('test', 'a'), new TextEncoder().encode('[]'));
  toSlave({ seq: 1 });
  toSlave({ seq: 50 }, 'a-guessed-secret');
  toSlave({ seq: 1_000_000, body: { kind: 'step' } });
  toSlave({ seq: 1_000_000 });
  toSlave({ instance: '00000000-0000-0000' });
}
