/**
 * Slaves in the master's own thread, one after the other: the modelled mode's transport (slaves
 * that replay profiles are cheap) and the tests' (fake slaves). Messages are not serialised or
 * schema-checked here: nothing crosses a trust boundary.
 */
import { InternalError } from '../../errors.ts';
import type { MasterLink } from '../master/master.ts';
import type { MasterBody, SlaveBody } from '../messages.ts';
import { type SlaveFactory, SlaveDriver } from '../slave/slave-node.ts';

export class InProcessLink implements MasterLink {
  private readonly drivers: SlaveDriver[];
  private readonly replies: Array<Array<Promise<SlaveBody>>>;
  private readonly tails: Array<Promise<unknown>>;

  constructor(slaves: number, create: SlaveFactory) {
    this.drivers = Array.from({ length: slaves }, () => new SlaveDriver(create));
    this.replies = Array.from({ length: slaves }, () => []);
    this.tails = Array.from({ length: slaves }, () => Promise.resolve());
  }

  send(slave: number, body: MasterBody): void {
    const reply = this.tails[slave]!.then(() => this.drivers[slave]!.handle(body));
    this.tails[slave] = reply.catch(() => undefined);
    this.replies[slave]!.push(reply);
  }

  receive(slave: number): Promise<SlaveBody> {
    const reply = this.replies[slave]!.shift();
    if (!reply) throw new InternalError(`no reply pending from slave ${slave}`);
    return reply;
  }

  close(): void {
    for (const d of this.drivers) d.close();
  }
}
