/**
 * The order of symbol names: String.prototype.localeCompare's (ICU root collation), which
 * decides which of several symbols at one address names it. The first localeCompare call of a
 * process loads ICU's collator (~7 ms of every `hv run`), so names made of the characters
 * symbols use are compared here with the same rules; anything else goes to localeCompare.
 * Root collation on these characters: punctuation and symbols before digits before letters
 * (`_` < `-` < `.` < `$` < `0`..`9` < `a`..`z`, case ignored), a prefix before longer names,
 * and only then case, first difference from the left, lowercase first.
 */

/** Primary weight of each ASCII code (0: not handled here). */
const PRIMARY = new Uint8Array(128);
PRIMARY['_'.charCodeAt(0)] = 1;
PRIMARY['-'.charCodeAt(0)] = 2;
PRIMARY['.'.charCodeAt(0)] = 3;
PRIMARY['$'.charCodeAt(0)] = 4;
for (let d = 0; d < 10; d++) PRIMARY[48 + d] = 10 + d;
for (let l = 0; l < 26; l++) PRIMARY[97 + l] = PRIMARY[65 + l] = 20 + l;

function weight(code: number): number {
  return code < 128 ? PRIMARY[code]! : 0;
}

/** `a.localeCompare(b)` (its sign), without loading the collator for plain symbol names. */
export function compareSymbolNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const wa = weight(a.charCodeAt(i));
    const wb = weight(b.charCodeAt(i));
    if (wa === 0 || wb === 0) return a.localeCompare(b);
    if (wa !== wb) return wa < wb ? -1 : 1;
  }
  const longer = a.length > b.length ? a : b;
  for (let i = n; i < longer.length; i++) if (weight(longer.charCodeAt(i)) === 0) return a.localeCompare(b);
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    if (ca !== b.charCodeAt(i)) return ca >= 97 ? -1 : 1; // the same letter in two cases: lowercase first
  }
  return 0;
}
