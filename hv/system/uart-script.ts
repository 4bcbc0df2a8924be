/**
 * UART input scripts (`hv run --uart-input GUEST:FILE`): what a guest receives on its console
 * UART and when, as text:
 *
 *   # comment (and blank lines are ignored)
 *   <time> <text>
 *
 * `<time>` is the virtual time the text starts to arrive: cycles since boot (`2500000`), or a
 * number with a unit (`100ms`, `2.5us`, `1s`, `40ns`) converted at the board's clock and rounded
 * to a cycle. Times never decrease. `<text>` is the rest of the line after one space, with the
 * escapes `\n \r \t \0 \\ \xHH`; a newline follows it (a typed line), unless it ends with `\c`
 * (then exactly the bytes given). Bytes arrive one per character time (115200 baud) and wait
 * while the guest does not read them (hv/system/uart-feed.ts).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

export interface UartScriptEvent {
  /** Virtual time in cycles. */
  readonly at: number;
  readonly bytes: Uint8Array;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1 };

export function readUartScript(file: string, hz: number): UartScriptEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${file}: cannot read UART input: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
  return parseUartScript(text, file, hz);
}

export function parseUartScript(text: string, file: string, hz: number): UartScriptEvent[] {
  const events: UartScriptEvent[] = [];
  let last = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const match = /^\s*(\S+)(?: (.*))?$/.exec(line)!;
    const at = parseTime(match[1]!, hz, where);
    if (at < last) throw new ConfigError(`${where}: time ${match[1]} is earlier than the line before (times never decrease)`);
    last = at;
    events.push({ at, bytes: unescape(match[2] ?? '', where) });
  });
  return events;
}

function parseTime(text: string, hz: number, where: string): number {
  const match = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(text);
  if (!match) throw new ConfigError(`${where}: expected a time in cycles or with a unit (ns, us, ms, s), got "${text}"`);
  const value = Number(match[1]);
  if (!match[2]) {
    if (!Number.isSafeInteger(value)) throw new ConfigError(`${where}: expected a whole number of cycles, got "${text}"`);
    return value;
  }
  return Math.round(value * UNIT_SECONDS[match[2]]! * hz);
}

const ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, '0': 0x00, '\\': 0x5c };

function unescape(text: string, where: string): Uint8Array {
  const bytes: number[] = [];
  let newline = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = text[++i];
    if (next === 'c' && i === text.length - 1) newline = false;
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (next !== undefined && ESCAPES[next] !== undefined) bytes.push(ESCAPES[next]!);
    else throw new ConfigError(`${where}: unknown escape "\\${next ?? ''}" (known: \\n \\r \\t \\0 \\\\ \\xHH, \\c at the end)`);
  }
  if (newline) bytes.push(0x0a);
  return Uint8Array.from(bytes);
}
