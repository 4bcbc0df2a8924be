/** Small formatting helpers shared by reports, traces and error messages. */

/**
 * `0x`-prefixed hexadecimal, zero-padded to `digits` (`hex(a, 8)` for a 32-bit word). A negative
 * number is shown as its 32-bit two's complement, as the guest's registers hold it.
 */
export function hex(n: number, digits = 0): string {
  return `0x${(n < 0 ? n >>> 0 : n).toString(16).padStart(digits, '0')}`;
}
