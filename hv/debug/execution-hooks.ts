/**
 * The Unicorn hooks a debugger needs on a guest's engine: a code hook called before every
 * instruction (breakpoints, single steps) and a memory hook on every load and store
 * (watchpoints). They exist only while a breakpoint, a watchpoint or a single step is active, so
 * a guest under a debugger that just runs costs nothing extra. Unicorn compiles hooks into its
 * translated blocks, so hooks are added and removed only outside a run (between steps, where a
 * translation flush is safe); a debugger halted inside the code hook keeps them until then.
 *
 * The instruction counter's hook must come before the debugger's (it is created first): when the
 * counter stops a run before an instruction, Unicorn skips the later hooks of that instruction,
 * so the debugger's code hook sees each instruction exactly once, when it is about to run.
 */
import { UC_HOOK, UC_MEM } from '../unicorn/constants.ts';
import type { Engine } from '../unicorn/engine.ts';

export interface HookHandlers {
  /** Before the instruction at `address` runs. */
  instruction(address: number): void;
  /** A load or store of `size` bytes at `address`. */
  access(address: number, size: number, write: boolean): void;
}

export class ExecutionHooks {
  private code: bigint | undefined;
  private memory: bigint | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly handlers: HookHandlers,
  ) {
    // Creates the counter (and its hook) now if the guest has not run yet: it must come first.
    void engine.counter;
  }

  get installed(): boolean {
    return this.code !== undefined;
  }

  /** Adds the hooks (call only outside a run). */
  install(): void {
    if (this.code !== undefined || this.engine.isClosed) return;
    this.code = this.engine.onCode((address) => this.handlers.instruction(address));
    this.memory = this.engine.onMemoryAccess(UC_HOOK.MEM_READ | UC_HOOK.MEM_WRITE, (type, address, size) =>
      this.handlers.access(address, size, type === UC_MEM.WRITE),
    );
    this.engine.flushTranslations();
  }

  /** Removes the hooks (call only outside a run). */
  remove(): void {
    if (this.code === undefined || this.engine.isClosed) return;
    this.engine.removeHook(this.code);
    this.engine.removeHook(this.memory!);
    this.code = undefined;
    this.memory = undefined;
  }
}
