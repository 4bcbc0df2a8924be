/**
 * A GDB stub for one guest. The guest is debugged while the whole system runs in the
 * hypervisor's synchronous loop, and a halted guest holds that loop still: the stub halts
 * between two steps (the hypervisor's poller) or inside the code hook before an instruction,
 * and blocks the thread there, serving gdb's packets, until gdb resumes. Nothing advances while
 * it waits, so virtual time stands still for every guest and a debugging session changes
 * nothing another guest sees: the run continues exactly where it was, not even the step in
 * progress is cut.
 *
 * Halts: a breakpoint or single step (in the code hook, before the instruction), a watchpoint
 * (in the memory hook, before the access: gdb's ARM targets expect that and step over the
 * access themselves), Ctrl-C or a new connection (noticed between steps or every few hundred
 * instructions), the guest's fault (reported with its signal; continuing
 * then reports it terminated), and with `wait` the first step. The guest's exit is reported as
 * gdb's W packet. Detaching (or closing the connection) clears every breakpoint and lets the
 * guest run on; gdb's kill ends the whole run, as it ends QEMU.
 */
import type { DebugAccess } from '../arch/cpu.ts';
import type { VmExit } from '../core/vcpu.ts';
import type { Vm } from '../core/vm.ts';
import { DebugPoints, type Watch } from './debug-points.ts';
import { ExecutionHooks } from './execution-hooks.ts';
import { PACKET_SIZE, type StubAction, type StubTarget, handlePacket } from './gdb-commands.ts';
import { RspDecoder, ackBytes, encodePacket } from './rsp-codec.ts';
import type { PipeEvent, SocketPipe } from './socket-pipe.ts';
import { SIGINT, SIGTRAP, StopState } from './stop-state.ts';

export interface DebuggerOptions {
  /** Halt before the guest's first instruction until a debugger connects and resumes it. */
  wait: boolean;
  /** Connection notices (the CLI prints them on stderr). */
  notice(message: string): void;
  /** Ends the whole run (gdb's kill). */
  endRun(): void;
}

/** Instructions between two looks at the connection while the code hook is installed. */
const POLL_INTERVAL = 1024;

export class GuestDebugger {
  private readonly decoder = new RspDecoder();
  private readonly debug: DebugAccess;
  private readonly points: DebugPoints;
  private readonly hooks: ExecutionHooks;
  private readonly stop: StopState;
  private readonly packets: Uint8Array[] = [];
  private readonly target: StubTarget;
  private connected = false;
  /** gdb resumed the guest and waits for a stop reply. */
  private running = false;
  private stepping = false;
  /** The first instruction a step or continue meets at this address is the one to execute. */
  private resumeAt: number | undefined;
  private insideRun = false;
  private holdAtStart: boolean;
  private countdown = POLL_INTERVAL;
  private lastSent: Uint8Array | undefined;
  private ended = false;
  /** The signal of the fault that stopped the guest (reported once gdb continues). */
  private faultSignal: number | undefined;

  constructor(
    private readonly vm: Vm,
    private readonly pipe: SocketPipe,
    private readonly options: DebuggerOptions,
  ) {
    this.debug = vm.cpu.debugAccess();
    this.points = new DebugPoints(this.debug.comparators);
    this.stop = new StopState();
    this.hooks = new ExecutionHooks(vm.engine, {
      instruction: (address) => this.beforeInstruction(address),
      access: (address, size, write) => this.memoryAccess(address, size, write),
    });
    this.target = {
      debug: this.debug,
      readMemory: (address, length) => this.readMemory(address, length),
      writeMemory: (address, bytes) => this.vm.inRam(address, bytes.length) && this.vm.engine.tryWriteMemory(address, bytes),
      insertPoint: (kind, address, length) => this.points.insert(kind, address, length),
      removePoint: (kind, address, length) => this.points.remove(kind, address, length),
      stopReply: () => this.stop.reply(),
    };
    this.holdAtStart = options.wait;
    vm.onStop((exit) => this.guestStopped(exit));
  }

  /** The guest this stub debugs. */
  get guest(): string {
    return this.vm.name;
  }

  get port(): number {
    return this.pipe.port;
  }

  /** Called between steps: no guest code runs, hooks may change, the guest may halt here. */
  poll(): void {
    this.insideRun = false;
    this.syncHooks();
    if (this.holdAtStart) {
      this.holdAtStart = false;
      this.options.notice(`gdb: guest ${this.vm.name} waits for a debugger on port ${this.pipe.port}`);
      return this.halt(() => this.stop.signal(SIGTRAP));
    }
    this.service(this.pipe.poll());
  }

  /**
   * The run ended. A debugger still attached to a guest that can never run again (the system is
   * idle) may still look at it: wait until it detaches. Then the connection closes.
   */
  finish(idle: boolean): void {
    if (idle && this.connected && this.vm.alive) {
      while (this.connected && !this.ended) this.service(this.pipe.wait());
    }
    this.close();
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.hooks.remove();
    this.pipe.close();
  }

  private beforeInstruction(address: number): void {
    const first = this.resumeAt === address;
    this.resumeAt = undefined;
    if (this.stepping && !first) return this.inRun(() => this.halt(() => this.stop.signal(SIGTRAP)));
    const kind = first ? undefined : this.points.breakAt(address);
    if (kind) return this.inRun(() => this.halt(() => this.stop.signal(SIGTRAP, kind === 'software' ? 'swbreak:;' : 'hwbreak:;')));
    if (--this.countdown === 0) {
      this.countdown = POLL_INTERVAL;
      this.inRun(() => this.service(this.pipe.poll()));
    }
  }

  private memoryAccess(address: number, size: number, write: boolean): void {
    if (!this.points.watching || !this.connected) return;
    const hit = this.points.watchHit(address, size, write);
    if (hit) this.inRun(() => this.haltForWatch(hit));
  }

  private haltForWatch(hit: Watch): void {
    const key = hit.kind === 'write' ? 'watch' : hit.kind === 'read' ? 'rwatch' : 'awatch';
    this.halt(() => this.stop.signal(SIGTRAP, `${key}:${hit.address.toString(16)};`));
  }

  private inRun(work: () => void): void {
    this.insideRun = true;
    try {
      work();
    } finally {
      this.insideRun = false;
    }
  }

  /**
   * Handles what arrived while the guest runs: a new connection halts it (as QEMU stops when gdb
   * attaches), so do Ctrl-C and any packet. A guest that ended only answers.
   */
  private service(events: readonly PipeEvent[]): void {
    let signal: number | undefined;
    for (const event of events) {
      if (event.kind === 'connect') signal = this.connect() ? SIGTRAP : signal;
      else if (event.kind === 'close') this.disconnect('the debugger closed the connection');
      else if (this.receive(event.bytes)) signal ??= SIGINT;
    }
    if (!this.connected) return;
    if (!this.vm.alive) this.drainPackets();
    else if (signal !== undefined) this.halt(() => this.stop.signal(signal));
  }

  /** Holds the system still and serves gdb until it resumes the guest, detaches or kills. */
  private halt(reason: () => void): void {
    reason();
    this.stepping = false;
    if (this.running) this.send(this.stop.reply());
    this.running = false;
    for (;;) {
      if (this.drainPackets()) return;
      for (const event of this.pipe.wait()) {
        if (event.kind === 'connect') this.connect();
        else if (event.kind === 'data') this.receive(event.bytes);
        else if (this.disconnect('the debugger closed the connection')) return;
      }
    }
  }

  /** Answers the queued packets; true when one of them resumed the guest (the rest wait). */
  private drainPackets(): boolean {
    for (let packet = this.packets.shift(); packet; packet = this.packets.shift()) {
      if (this.act(handlePacket(packet, this.target))) return true;
    }
    return false;
  }

  /** Carries out a packet's action; true when the guest runs again. */
  private act(action: StubAction): boolean {
    switch (action.kind) {
      case 'reply':
        this.send(action.data);
        return false;
      case 'no-ack':
        this.send(action.data);
        this.decoder.ackMode = false;
        return false;
      case 'resume':
        return this.resume(action.step, action.address);
      case 'detach':
        this.send(action.data);
        return this.disconnect('the debugger detached');
      case 'kill':
        this.options.notice(`gdb: guest ${this.vm.name}: killed by the debugger, the run ends`);
        this.options.endRun();
        this.disconnect('');
        return true;
    }
  }

  private resume(step: boolean, address: number | undefined): boolean {
    if (!this.vm.alive) {
      // The guest ended (a fault shown as a stop): resuming reports that it is gone.
      if (this.faultSignal !== undefined) this.stop.terminated(this.faultSignal);
      this.send(this.stop.reply());
      return true;
    }
    if (address !== undefined) this.debug.writeRegister(this.debug.registers.find((r) => r.name === 'pc')!.regnum, le32(address));
    this.stepping = step;
    this.resumeAt = this.vm.pc();
    this.running = true;
    this.syncHooks();
    return true;
  }

  /** Adds or removes the hooks to match what is asked; changes wait until outside a run. */
  private syncHooks(): void {
    if (this.insideRun) return;
    const needed = this.connected && this.vm.alive && (this.stepping || !this.points.empty);
    if (needed) this.hooks.install();
    else this.hooks.remove();
  }

  private connect(): boolean {
    if (this.connected) return false;
    this.connected = true;
    this.decoder.ackMode = true;
    this.options.notice(`gdb: guest ${this.vm.name}: debugger connected`);
    return true;
  }

  /** Drops the connection's state; the guest runs on. Returns true (the guest resumes). */
  private disconnect(why: string): boolean {
    if (!this.connected) return true;
    this.connected = false;
    this.running = false;
    this.stepping = false;
    this.points.clear();
    this.packets.length = 0;
    if (why) this.options.notice(`gdb: guest ${this.vm.name}: ${why}`);
    return true;
  }

  /** Bytes from gdb: acknowledgements go out at once, packets queue. True when it asks to halt. */
  private receive(bytes: Uint8Array): boolean {
    let halt = false;
    for (const event of this.decoder.push(bytes)) {
      if (event.kind === 'packet') {
        this.packets.push(event.data);
        halt = true;
      } else if (event.kind === 'interrupt') halt = true;
      else if (this.lastSent) this.pipe.send(this.lastSent);
    }
    for (const ack of this.decoder.acks.splice(0)) this.pipe.send(ackBytes(ack));
    return halt;
  }

  private guestStopped(exit: VmExit): void {
    if (exit.state === 'halted') {
      this.stop.exited(exit.exitCode ?? 0);
      if (this.running) this.send(this.stop.reply());
      this.running = false;
      return;
    }
    // A fault: show gdb the guest where it stopped; continuing then reports it terminated.
    const signal = this.debug.faultSignal(exit.fault!);
    this.faultSignal = signal;
    if (this.connected) this.halt(() => this.stop.signal(signal));
    else this.stop.terminated(signal);
  }

  private readMemory(address: number, length: number): Uint8Array | undefined {
    const region = this.vm.board.memory.find((m) => address >= m.base && address < m.base + m.size);
    if (!region) return undefined;
    return this.vm.engine.tryReadMemory(address, Math.min(length, region.base + region.size - address, PACKET_SIZE));
  }

  private send(data: string): void {
    this.lastSent = encodePacket(data);
    this.pipe.send(this.lastSent);
  }
}

function le32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}
