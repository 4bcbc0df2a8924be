/** A guest's console bytes become `[name] text` lines that a terminal prints and never obeys. */
import { describe, expect, it } from 'vitest';
import { GuestConsole, escapeControls } from '../../hv/core/guest-console.ts';

function lines(bytes: Uint8Array | string, limit?: number): { lines: string[]; console: GuestConsole } {
  const out: string[] = [];
  const c = new GuestConsole('evil', (guest, line) => out.push(`[${guest}] ${line}`), limit);
  c.writeAll(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  c.flush();
  return { lines: out, console: c };
}

describe('GuestConsole: control characters are shown, not obeyed', () => {
  it('an escape sequence that would erase the line and forge a neighbour is printed visibly', () => {
    // ESC[2K erases the line, CR returns to column 0: on a raw terminal this would show "[good] ok".
    const { lines: out } = lines('\x1b[2K\r[good] ok\n');
    expect(out).toEqual(['[evil] \\x1b[2K[good] ok']);
    expect(out.join('\n')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });

  it('every C0 control but tab and newline, DEL and the C1 controls are escaped', () => {
    const bytes = [...Array.from({ length: 0x20 }, (_, i) => i).filter((b) => b !== 0x0a && b !== 0x0d), 0x7f];
    const { lines: out } = lines(Uint8Array.from([...bytes, 0x0a]));
    const expected = bytes.map((b) => (b === 0x09 ? '\t' : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    expect(out).toEqual([`[evil] ${expected}`]);
    // C1 controls arrive as UTF-8 (CSI U+009B is ESC [ on many terminals).
    expect(lines('a\u009b31mb\u0085c\n').lines).toEqual(['[evil] a\\x9b31mb\\x85c']);
  });

  it('bidirectional overrides and Unicode line separators are escaped', () => {
    expect(lines('x\u202etxt.exe\u2028y\u2066z\n').lines).toEqual(['[evil] x\\u{202e}txt.exe\\u{2028}y\\u{2066}z']);
  });

  it('CR is dropped (CRLF line ends), printable text, tabs and UTF-8 pass unchanged', () => {
    expect(lines('hello\r\nGrüße\tµC ✓\r\n').lines).toEqual(['[evil] hello', '[evil] Grüße\tµC ✓']);
  });

  it('escaping does not change the counts: bytes and lines as the guest wrote them', () => {
    const { console: c } = lines('\x1b[31mred\x1b[0m\n\x07\n');
    expect(c.stats).toEqual({ bytes: 15, lines: 2, dropped: 0 });
  });

  it('escapeControls leaves a plain line alone', () => {
    expect(escapeControls('task A: step 3 (100%) [ok] \\x1b')).toBe('task A: step 3 (100%) [ok] \\x1b');
  });
});
