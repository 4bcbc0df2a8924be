/**
 * A guest's console: bytes from its UART (or semihosting) become lines, printed as
 * `[name] text`. Output is contained: an over-long line is split, and past a byte budget the rest
 * of the guest's output is dropped with one notice, so a guest flooding its UART cannot drown its
 * neighbours' output or exhaust memory. Lines are text for a terminal: control characters are
 * shown escaped (ESC as `\x1b`), so that a guest cannot move the cursor, clear the screen or draw
 * over another guest's line; CR is dropped (CRLF line ends are common in firmware).
 */

export const DEFAULT_CONSOLE_LIMIT = 1 << 20;
export const MAX_LINE = 4096;

export interface ConsoleStats {
  bytes: number;
  lines: number;
  dropped: number;
}

export class GuestConsole {
  private pending: number[] = [];
  private readonly decoder = new TextDecoder('utf-8');
  readonly stats: ConsoleStats = { bytes: 0, lines: 0, dropped: 0 };
  private limitReported = false;

  constructor(
    readonly name: string,
    /** Receives each complete line, without the newline. */
    private readonly emit: (guest: string, line: string) => void,
    private readonly limit = DEFAULT_CONSOLE_LIMIT,
  ) {}

  /** The unterminated line so far and the counters (a checkpoint). */
  saveState(): { pending: number[]; stats: ConsoleStats; limitReported: boolean } {
    return { pending: [...this.pending], stats: { ...this.stats }, limitReported: this.limitReported };
  }

  restoreState(s: ReturnType<GuestConsole['saveState']>): void {
    this.pending = [...s.pending];
    Object.assign(this.stats, s.stats);
    this.limitReported = s.limitReported;
  }

  write(byte: number): void {
    if (this.stats.bytes >= this.limit) return this.drop();
    this.stats.bytes++;
    if (byte === 0x0a) return this.flushLine();
    if (byte === 0x0d) return;
    this.pending.push(byte);
    if (this.pending.length >= MAX_LINE) this.flushLine();
  }

  writeAll(bytes: Uint8Array): void {
    for (const b of bytes) this.write(b);
  }

  /** Emits a last unterminated line (at the end of the run). */
  flush(): void {
    if (this.pending.length > 0) this.flushLine();
  }

  private flushLine(): void {
    const line = escapeControls(this.decoder.decode(Uint8Array.from(this.pending)));
    this.pending = [];
    this.stats.lines++;
    this.emit(this.name, line);
  }

  private drop(): void {
    this.stats.dropped++;
    if (this.limitReported) return;
    this.limitReported = true;
    this.flush();
    this.emit(this.name, `[hv] console limit of ${this.limit} bytes reached; further output is dropped`);
  }
}

/**
 * Characters a terminal would act on instead of printing: C0 controls but tab, DEL, C1 controls
 * (CSI U+009B starts an escape sequence on its own), the Unicode line and paragraph separators,
 * and the bidirectional formatting characters (they reorder what a line appears to say).
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `text` with every control character replaced by a visible escape: `\x1b`, `\u{202e}`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
