/**
 * The emulated I/O path (QEMU's model): the backend is TypeScript inside the hypervisor. On a
 * notification it walks the guest's queue itself, charges its own work to the guest's core,
 * drives the physical block controller through a slot of its own, and when the device is done
 * writes the status and the used ring and injects the completion interrupt. The guest keeps
 * running while the device works.
 */
import type { BlockController } from '../../../devices/block-controller.ts';
import { BLK_ID_BYTES, type BlkRequest, SECTOR, parseBlkRequest } from '../blk-request.ts';
import { GuestQueue, QueueCorrupt } from '../guest-queue.ts';
import { IoPathBase, type IoPathOptions } from '../io-path.ts';
import { BLK_S, CONSOLE_TRANSMITQ, blockId } from '../virtio-devices.ts';
import { VIRTIO_ID, type VirtioTransport } from '../virtio-mmio.ts';
import { type DeviceCommand, SlotDriver } from './slot-driver.ts';

export interface EmulatedPathOptions extends IoPathOptions {
  blockController: BlockController;
  /** The block controller slot this guest's backend uses. */
  slot: number;
  /** Writes console bytes to the physical console UART on this guest's channel. */
  consoleWrite(bytes: Uint8Array): void;
}

interface Job {
  readonly io: number;
  readonly head: number;
  readonly request: BlkRequest & { status: { address: number } };
  readonly commands: DeviceCommand[];
  written: number;
  code: number;
}

/**
 * Heads the waiting list in place of a request the guest's reset dropped while the device was
 * still serving its command: that command's completion is discarded (a read's data never reaches
 * the guest), and the requests after the reset wait for the device to be free.
 */
interface DroppedCommand {
  readonly dropped: true;
}

type Waiting = Job | DroppedCommand;

function isDropped(w: Waiting): w is DroppedCommand {
  return 'dropped' in w;
}

interface EmulatedPathState {
  readonly waiting: Waiting[];
  readonly pending: ReadonlyArray<readonly [number, string, number, number]>;
  readonly issued: number;
}

export class EmulatedPath extends IoPathBase {
  readonly name = 'emulated';
  private readonly device: SlotDriver;
  private readonly waiting: Waiting[] = [];
  /** Block I/Os in progress: their requests not finished yet, and those finished. */
  private readonly pending = new Map<number, { transport: VirtioTransport; left: number; done: number }>();

  constructor(private readonly o: EmulatedPathOptions) {
    super(o);
    const dma = {
      read: (address: number, length: number) => o.vm.memory.read(address, length),
      // The dropped command's read data: the guest reset the device, so it must not land (virtio 1.2 §2.4.1).
      write: (address: number, data: Uint8Array) => this.droppedInFlight() || o.vm.memory.write(address, data),
    };
    this.device = new SlotDriver(o.blockController, o.slot, o.vm.clock, dma, (status, issued, cycles) => this.commandDone(status, issued, cycles));
  }

  private droppedInFlight(): boolean {
    const head = this.waiting[0];
    return head !== undefined && isDropped(head);
  }

  /** The device finished the command in flight: a dropped one is forgotten, a job's goes on. */
  private commandDone(status: number, issued: number, cycles: number): void {
    const head = this.waiting[0];
    if (head && isDropped(head)) {
      this.waiting.shift();
      return this.nextCommand();
    }
    if (head && cycles > 0) this.o.tracker.phase(head.io, 'device', issued, cycles);
    this.nextCommand(status);
  }

  /** After the notification's trap: walk the queue and start its requests. */
  protected serve(io: number, transport: VirtioTransport, queue: number): void {
    const vm = this.o.vm;
    const gq = new GuestQueue(vm.memory, transport.queues[queue]!);
    const console = { completed: 0 };
    try {
      if (transport.deviceId === VIRTIO_ID.BLOCK) this.takeBlockRequests(io, transport, gq);
      else if (queue === CONSOLE_TRANSMITQ) this.serveConsole(io, transport, gq, console);
      else this.finishIo(io, transport, false);
    } catch (error) {
      if (!(error instanceof QueueCorrupt)) throw error;
      this.corrupted(io, transport, console.completed);
    }
  }

  /**
   * The guest reset the device: its requests in flight are dropped, and their I/Os end now. A
   * command the device is still serving cannot be called back: it is marked dropped, and its
   * completion has no effect but to free the device for the requests after the reset.
   */
  override reset(transport: VirtioTransport): void {
    if (transport.deviceId !== VIRTIO_ID.BLOCK) return;
    this.waiting.length = 0;
    if (this.device.busy) this.waiting.push({ dropped: true });
    for (const io of [...this.pending.keys()]) this.o.tracker.end(io, this.o.vm.clock.now());
    this.pending.clear();
  }

  /**
   * The queue is corrupt: the device needs a reset (the configuration-change interrupt). As on the
   * other paths (the driver VM's backend), the chains taken before the corrupt one still complete,
   * and the used-buffer interrupt comes only when some chain did.
   */
  private corrupted(io: number, transport: VirtioTransport, consoleCompleted: number): void {
    transport.needsReset();
    const entry = this.pending.get(io);
    // Requests already started finish as usual and end the I/O with their interrupt.
    if (entry && entry.left > 0) return;
    this.pending.delete(io);
    this.finishIo(io, transport, consoleCompleted + (entry?.done ?? 0) > 0);
  }

  /** Requests waiting for the device (the oldest one's command is in flight) and open I/Os. */
  override saveState(): EmulatedPathState {
    const pending = [...this.pending].map(([io, p]) => [io, p.transport.name, p.left, p.done] as const);
    return { waiting: structuredClone(this.waiting), pending, issued: this.device.issued };
  }

  override restoreState(state: unknown, transport: (name: string) => VirtioTransport): void {
    const s = state as EmulatedPathState;
    this.waiting.splice(0, this.waiting.length, ...structuredClone(s.waiting));
    this.pending.clear();
    for (const [io, name, left, done] of s.pending) this.pending.set(io, { transport: transport(name), left, done });
    this.device.issued = s.issued;
  }

  private takeBlockRequests(io: number, transport: VirtioTransport, gq: GuestQueue): void {
    const heads = gq.takeAvailable();
    if (heads.length === 0) return this.finishIo(io, transport, false);
    const entry = { transport, left: heads.length, done: 0 };
    this.pending.set(io, entry);
    heads.forEach((head, i) => {
      try {
        this.startRequest(io, head, gq);
      } catch (error) {
        // The chains from the corrupt one on are never started.
        entry.left -= heads.length - i;
        throw error;
      }
    });
  }

  private startRequest(io: number, head: number, gq: GuestQueue): void {
    const vm = this.o.vm;
    this.charge(io, 'emulation', this.o.costs.emulatedRequest.cycles);
    const chain = gq.chain(head);
    const request = parseBlkRequest(chain, chain[0] ? vm.memory.read(chain[0].address, 16) : undefined, {
      capacity: this.o.capacity,
      inRam: (a, l) => vm.inRam(a, l),
    });
    if (request.kind === 'malformed') throw new QueueCorrupt(request.reason);
    const job: Job = { io, head, request, commands: commandsFor(request, this.o.unit), written: 1, code: BLK_S.OK };
    if (request.kind === 'reject') job.code = request.code;
    if (request.kind === 'get-id') job.written += this.writeId(request.data[0]!);
    this.waiting.push(job);
    if (this.waiting.length === 1) this.nextCommand();
  }

  private writeId(buffer: { address: number; length: number }): number {
    // parseBlkRequest checked that the buffer holds the whole ID.
    const id = blockId(this.o.unit).subarray(0, BLK_ID_BYTES);
    this.o.vm.memory.write(buffer.address, id);
    return id.length;
  }

  /** Issues the next device command of the oldest job, or finishes jobs that have none left. */
  private nextCommand(status?: number): void {
    const job = this.waiting[0];
    // A dropped command still holds the device: its completion calls again.
    if (!job || isDropped(job)) return;
    if (status !== undefined && status & 4) job.code = BLK_S.IOERR;
    const command = job.code === BLK_S.OK ? job.commands.shift() : undefined;
    if (command) return this.device.issue(command);
    this.waiting.shift();
    this.finishRequest(job);
    this.nextCommand();
  }

  private finishRequest(job: Job): void {
    const vm = this.o.vm;
    const r = job.request;
    const bytes = r.kind === 'read' || r.kind === 'write' ? r.data.reduce((a, d) => a + d.length, 0) : 0;
    if (r.kind === 'read' && job.code === BLK_S.OK) job.written += bytes;
    this.charge(job.io, 'completion', Math.ceil(bytes * this.o.costs.grantCopyPerByte.cycles));
    vm.memory.write(r.status.address, Uint8Array.of(job.code));
    const entry = this.pending.get(job.io);
    if (!entry) return;
    new GuestQueue(vm.memory, entry.transport.queues[0]!).pushUsed(job.head, job.written);
    this.o.tracker.served(job.io, 1, job.code === BLK_S.OK ? bytes : 0, job.code === BLK_S.OK ? 0 : 1);
    entry.done++;
    if (--entry.left === 0) {
      this.pending.delete(job.io);
      this.finishIo(job.io, entry.transport, true);
    }
  }

  private serveConsole(io: number, transport: VirtioTransport, gq: GuestQueue, progress: { completed: number }): void {
    const vm = this.o.vm;
    for (const head of gq.takeAvailable()) {
      this.charge(io, 'emulation', this.o.costs.emulatedRequest.cycles);
      let bytes = 0;
      for (const d of gq.chain(head)) {
        const data = d.writable ? undefined : vm.memory.read(d.address, d.length);
        if (!data) continue;
        this.o.consoleWrite(data);
        bytes += data.length;
      }
      this.charge(io, 'completion', Math.ceil(bytes * this.o.costs.grantCopyPerByte.cycles));
      gq.pushUsed(head, 0);
      // `bytes` in the I/O totals counts disk data, as on the other paths; console bytes are in
      // the guest's console counters.
      this.o.tracker.served(io, 1, 0, 0);
      progress.completed++;
    }
    // A notification with nothing new raises no interrupt (as the driver VM's backend).
    this.finishIo(io, transport, progress.completed > 0);
  }

  /** Injects the completion interrupt (when anything completed) and closes the I/O. */
  private finishIo(io: number, transport: VirtioTransport, interrupt: boolean): void {
    if (interrupt) {
      this.charge(io, 'interrupt injection', this.o.costs.interruptInjection.cycles);
      transport.complete();
    }
    this.o.tracker.end(io, this.o.vm.clock.now());
  }
}

/** One device command per data buffer (a read or a write), or one flush. */
function commandsFor(request: BlkRequest, unit: number): DeviceCommand[] {
  if (request.kind === 'flush') return [{ op: 'flush', unit, sector: 0, count: 0, address: 0 }];
  if (request.kind !== 'read' && request.kind !== 'write') return [];
  const commands: DeviceCommand[] = [];
  let sector = request.sector;
  for (const d of request.data) {
    commands.push({ op: request.kind, unit, sector, count: d.length / SECTOR, address: d.address });
    sector += d.length / SECTOR;
  }
  return commands;
}
