/**
 * Why the debugged guest is stopped, as gdb's stop reply: `T` (stopped by a signal, with the
 * thread and the breakpoint or watchpoint that caused it), `W` (exited with a code) or `X`
 * (terminated by a signal: the guest faulted).
 */
export const SIGINT = 2;
export const SIGTRAP = 5;

export class StopState {
  private current = `T${hex2(SIGTRAP)}thread:1;`;

  /** Stopped by `signal`; `detail` adds `swbreak:;`, `watch:ADDR;` and such. */
  signal(signal: number, detail = ''): void {
    this.current = `T${hex2(signal)}thread:1;${detail}`;
  }

  exited(code: number): void {
    this.current = `W${hex2(code & 0xff)}`;
  }

  terminated(signal: number): void {
    this.current = `X${hex2(signal)}`;
  }

  reply(): string {
    return this.current;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
