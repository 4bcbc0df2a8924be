/**
 * A private NATS server (Debian's `nats-server`) on 127.0.0.1 and a free port, with a user and
 * password, for `hv cluster run --transport nats` without a server of one's own (and for the
 * tests). The password goes into a configuration file only its owner can read, never onto the
 * command line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.ts';
import type { NatsSettings } from './envelope.ts';

export interface NatsServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNatsServer(user: string, password: string): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-nats-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, `listen: "127.0.0.1:${port}"\nmax_payload: 8MB\nauthorization {\n  user: ${JSON.stringify(user)}\n  password: ${JSON.stringify(password)}\n}\n`, { mode: 0o600 });
  const server = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()).length > 4096 && (stderr = stderr.slice(-4096)));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await listening(server, port, () => stderr);
  } catch (error) {
    server.kill('SIGKILL');
    cleanup();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, stop: () => stop(server).finally(cleanup) };
}

/** A private server with fresh random credentials and message key (they never leave this host's processes). */
export async function startPrivateNats(cluster: string): Promise<{ settings: NatsSettings; server: NatsServer }> {
  const user = 'hvlab';
  const password = randomBytes(18).toString('base64url');
  const server = await startNatsServer(user, password);
  return { settings: { url: server.url, user, password, secret: randomBytes(32).toString('hex'), cluster }, server };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until the server accepts connections (or exits, or 10 s pass). */
async function listening(server: ChildProcess, port: number, stderr: () => string): Promise<void> {
  let exited: string | undefined;
  server.once('error', (error: NodeJS.ErrnoException) => {
    exited = error.code === 'ENOENT' ? 'not found: install Debian\'s nats-server (apt-get install nats-server)' : error.message;
  });
  server.once('exit', (code) => (exited ??= `exited with status ${code}: ${stderr().trim().split('\n').at(-1) ?? ''}`));
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exited) throw new UsageError(`nats-server ${exited}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new UsageError('nats-server did not start listening within 10 s');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('exit', () => resolve());
    server.kill('SIGTERM');
  });
}
