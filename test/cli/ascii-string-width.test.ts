import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module without types
import { ASCII_STRING_WIDTH } from '../../scripts/build-lib.mjs';

/**
 * Requires as cli-table3 does: the string-width it uses, and the one the stand-in hands text to
 * (cli-table3's dependency, not hvlab's: tools/lint/knip.json lists it as such).
 */
const require = createRequire(createRequire(import.meta.url).resolve('cli-table3'));
const stringWidth = require('string-width') as (text: unknown) => number;

/** The stand-in the CLI bundle gives cli-table3 instead of string-width, evaluated as the bundle does. */
function standIn(): (text: unknown) => number {
  const module = { exports: {} as unknown };
  new Function('require', 'module', ASCII_STRING_WIDTH)(require, module);
  return module.exports as (text: unknown) => number;
}

/** A seeded generator (tests are deterministic). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("the CLI's string-width for cli-table3", () => {
  const width = standIn();

  it('gives every text of printable ASCII, box-drawing characters and the ellipsis the width string-width gives it', () => {
    const next = random(7);
    const texts = ['', ' ', '0', '#', '*', '1645', 'exit 0', 'halted', 'guest', '~!@#$%^&*()_+{}|:"<>?', '┌───┬──┐', '│ a │'];
    const codes: number[] = [];
    for (let code = 0x20; code <= 0x7e; code++) codes.push(code);
    for (let code = 0x2500; code <= 0x257f; code++) codes.push(code);
    codes.push(0x2026);
    for (const code of codes) texts.push(String.fromCharCode(code), `#${String.fromCharCode(code)}`);
    for (let i = 0; i < 2000; i++) texts.push(Array.from({ length: 1 + Math.floor(next() * 40) }, () => String.fromCharCode(codes[Math.floor(next() * codes.length)]!)).join(''));
    for (const text of texts) expect(width(text)).toBe(stringWidth(text));
  });

  it('hands other text to string-width: ANSI colours, emoji, wide characters, control characters', () => {
    const texts = ['\u001b[31mred\u001b[39m', 'a😀b', '│😀│', '\u25b6', '\u2580', '1\uFE0F\u20E3', '漢字', 'tab\there', 'line\nbreak', 'é', '\u0301', 'x\u007f'];
    for (const text of texts) expect(width(text)).toBe(stringWidth(text));
    expect(width('漢字')).toBe(4);
    expect(width('\u001b[31mred\u001b[39m')).toBe(3);
  });
});
