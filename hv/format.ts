/** Small formatting helpers shared by reports, traces and error messages. */

/** `0x`-prefixed, zero-padded 32-bit hexadecimal. */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** `0x`-prefixed hexadecimal without padding. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
