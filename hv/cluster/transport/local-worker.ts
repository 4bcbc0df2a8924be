/**
 * A worker thread of the local transport: it hosts one or more slaves (real or modelled), feeds
 * them the master's inputs in order and posts their replies. Inputs are schema-checked here as on
 * every transport; a slave that throws reports the error instead of a reply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { masterBodySchema, schemaProblem } from '../messages.ts';
import { ModelSlave } from '../slave/model-slave.ts';
import { SessionSlave } from '../slave/session-slave.ts';
import { SlaveDriver } from '../slave/slave-node.ts';
import type { ToWorker } from './local.ts';

const port = parentPort!;
const { model } = workerData as { model: boolean };
const drivers = new Map<number, SlaveDriver>();
let chain: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorker) => {
  chain = chain.then(() => handle(message));
});

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'close') {
    for (const d of drivers.values()) d.close();
    port.close();
    return;
  }
  const parsed = masterBodySchema.safeParse(message.body);
  if (!parsed.success) {
    port.postMessage({ type: 'rejected', slave: message.slave, reason: schemaProblem(parsed.error) });
    return;
  }
  let driver = drivers.get(message.slave);
  if (!driver) {
    driver = new SlaveDriver(() => (model ? new ModelSlave() : new SessionSlave()));
    drivers.set(message.slave, driver);
  }
  try {
    const body = await driver.handle(parsed.data);
    port.postMessage({ type: 'reply', slave: message.slave, seq: message.seq, body });
  } catch (error) {
    const e = error as Error;
    port.postMessage({ type: 'error', slave: message.slave, message: e.message, stack: e.stack ?? '' });
  }
}
