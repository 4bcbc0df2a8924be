/**
 * Slave processes the master starts itself on the NATS transport: `hv cluster slave` children on
 * this host. Credentials reach them through the environment, never the command line; their
 * stderr (rejected messages) is passed on line by line with the slave's name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NatsSettings } from './envelope.ts';

const HV = fileURLToPath(new URL('../../../bin/hv.js', import.meta.url));

export const ENV = { user: 'HV_NATS_USER', password: 'HV_NATS_PASSWORD', secret: 'HV_CLUSTER_SECRET' } as const;

export function spawnSlave(name: string, nats: NatsSettings, log: (line: string) => void): ChildProcess {
  const args = [HV, 'cluster', 'slave', '--nats', nats.url, '--name', name, '--cluster', nats.cluster];
  const env = { ...process.env, [ENV.user]: nats.user, [ENV.password]: nats.password, [ENV.secret]: nats.secret };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  createInterface({ input: child.stderr! }).on('line', (line) => log(`[${name}] ${line}`));
  return child;
}

/** Ends a child and waits for it (SIGTERM, then SIGKILL after `graceMs`). */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
