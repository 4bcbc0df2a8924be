/**
 * Execution logs in the spirit of QEMU's `-d`: one line per event of the chosen categories,
 *
 *   <cycle> <guest> <category> <what>
 *
 * with the virtual time in cycles, right-aligned, and code addresses as `0x000005fa <main+0x6>`
 * when the image has symbols. Categories: `exec` (each translated block as it runs, with its
 * disassembly the first time), `insn` (every instruction, disassembled), `int` (exception entry,
 * tail-chain and return), `trap` (traps into the hypervisor), `io` (I/O requests and their
 * phases), `sched` (vCPU switches and migrations), `guest` (guest start and stop). Everything in
 * a log is virtual, so the same run writes the same log.
 */
import type { TraceEvent } from './events.ts';

export const LOG_CATEGORIES = ['exec', 'insn', 'int', 'trap', 'io', 'sched', 'guest'] as const;
export type LogCategory = (typeof LOG_CATEGORIES)[number];

export interface LogOptions {
  readonly categories: ReadonlySet<LogCategory>;
  /** Only these guests (all when undefined). */
  readonly guests?: ReadonlySet<string>;
  /** Receives each line (without its newline). */
  write(line: string): void;
  /** Names a guest's code address (`main+0x16`), when its image has symbols. */
  symbolize(guest: string, address: number): string | undefined;
}

export class EventLog {
  constructor(private readonly options: LogOptions) {}

  has(category: LogCategory): boolean {
    return this.options.categories.has(category);
  }

  /** True when lines about `guest` are wanted. */
  wants(guest: string): boolean {
    return this.options.guests?.has(guest) ?? true;
  }

  line(cycle: number, guest: string, category: LogCategory, text: string): void {
    this.options.write(`${String(cycle).padStart(12)} ${guest.padEnd(10)} ${category.padEnd(5)} ${text}`);
  }

  /** `0x000005fa <main+0x6>`, or the bare address without a symbol. */
  where(guest: string, address: number): string {
    const hex = `0x${(address >>> 0).toString(16).padStart(8, '0')}`;
    const symbol = this.options.symbolize(guest, address);
    return symbol ? `${hex} <${symbol}>` : hex;
  }

  /** A trace event as a log line, when its category is wanted. */
  event(e: TraceEvent): void {
    const line = this.describe(e);
    if (!line) return;
    const [category, guest, text] = line;
    if (this.has(category) && this.wants(guest)) this.line(e.ts, guest, category, text);
  }

  private describe(e: TraceEvent): [LogCategory, string, string] | undefined {
    switch (e.kind) {
      case 'exception-entry':
        return ['int', e.guest, `${e.tailChained ? 'tail-chain' : 'entry'} ${e.exception} -> ${this.where(e.guest, e.pc)}`];
      case 'exception-return':
        return ['int', e.guest, `return ${e.exception} -> ${this.where(e.guest, e.pc)}`];
      case 'trap':
        return ['trap', e.guest, `${e.trap} ${e.detail} at ${this.where(e.guest, e.pc)} (${e.dur} cycles)`];
      case 'io-begin':
        return ['io', e.guest, `${e.device} I/O ${e.id} begins (${e.path} path, core ${e.core})`];
      case 'io-phase':
        return ['io', e.guest, `I/O ${e.id} ${e.phase}: ${e.dur} cycles on core ${e.core}`];
      case 'io-end':
        return ['io', e.guest, `I/O ${e.id} ends: ${e.requests} requests, ${e.bytes} bytes, ${e.errors} errors`];
      case 'vcpu-switch':
        return ['sched', e.to, `core ${e.core}: switch ${e.from ?? '-'} -> ${e.to} (${e.dur} cycles)`];
      case 'vcpu-migrate':
        return ['sched', e.guest, `migrates from core ${e.from} to core ${e.to} (${e.dur} cycles)`];
      case 'guest-start':
        return ['guest', e.guest, `starts on core ${e.core} at ${this.where(e.guest, e.pc)}`];
      case 'guest-stop':
        return ['guest', e.guest, `stops ${e.state} (${e.detail}) at ${this.where(e.guest, e.pc)}`];
      default:
        return undefined;
    }
  }
}
