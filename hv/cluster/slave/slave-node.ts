/**
 * What every slave implementation does with the master's inputs: one reply per input, computed
 * from the inputs alone (so a replacement process fed the same inputs gives the same replies).
 * A transport drives a slave through this interface; the real slave emulates its workloads in a
 * hypervisor session, the modelled one replays their profiles.
 */
import { InternalError } from '../../errors.ts';
import type { InitBody, MasterBody, SlaveBody, StepBody } from '../messages.ts';

export interface SlaveNode {
  /** Boots the slave: replies `ready` with its capacity. */
  init(body: InitBody): Promise<SlaveBody>;
  /** Runs one quantum: replies `report`. */
  step(body: StepBody): SlaveBody;
  /** Ends the run: replies `final` with the slave's stats document. */
  finish(): SlaveBody;
  /** Releases everything (idempotent). */
  close(): void;
}

export type SlaveFactory = () => SlaveNode;

/** Feeds one master input to a slave, checking that an init comes first and only once. */
export class SlaveDriver {
  private node: SlaveNode | undefined;

  constructor(private readonly create: SlaveFactory) {}

  async handle(body: MasterBody): Promise<SlaveBody> {
    if (body.kind === 'init') {
      if (this.node) throw new InternalError('a slave got a second init');
      this.node = this.create();
      return this.node.init(body);
    }
    if (!this.node) throw new InternalError(`a slave got ${body.kind} before init`);
    return body.kind === 'step' ? this.node.step(body) : this.node.finish();
  }

  close(): void {
    this.node?.close();
  }
}
