/**
 * compareSymbolNames orders names exactly as localeCompare does (it decides which symbol names
 * an address): random names over the characters it handles, and names with others (handed to
 * localeCompare).
 */
import { expect, it } from 'vitest';
import { compareSymbolNames } from '../../hv/core/symbol-order.ts';

function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function name(random: () => number, alphabet: string): string {
  const length = Math.floor(random() * 6);
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

it('agrees with localeCompare on symbol-like names', () => {
  const random = generator(7);
  const alphabet = '_-.$09aAbBzZxX';
  for (let i = 0; i < 50_000; i++) {
    const a = name(random, alphabet);
    const b = random() < 0.2 ? a.toUpperCase() : name(random, alphabet);
    expect([a, b, Math.sign(compareSymbolNames(a, b))]).toEqual([a, b, Math.sign(a.localeCompare(b))]);
  }
});

it('agrees with localeCompare on names with other characters', () => {
  const random = generator(11);
  const alphabet = '_a.B1 é@~Ä';
  for (let i = 0; i < 5_000; i++) {
    const a = name(random, alphabet);
    const b = name(random, alphabet);
    expect(Math.sign(compareSymbolNames(a, b))).toBe(Math.sign(a.localeCompare(b)));
  }
});

it('orders the usual cases', () => {
  const names = ['main', 'Reset_Handler', '_start', 'a10', 'a9', 'A', 'a', 'a_b', 'ab', '$d', '.L1'];
  expect([...names].sort(compareSymbolNames)).toEqual([...names].sort((x, y) => x.localeCompare(y)));
});
