import { describe, expect, it } from 'vitest';
import { RspDecoder, encodePacket, fromHex, toHex, unescapeBinary } from '../../hv/debug/rsp-codec.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('RSP framing', () => {
  it('encodes a packet with its modulo-256 checksum', () => {
    expect(text(encodePacket('OK'))).toBe('$OK#9a');
    expect(text(encodePacket(''))).toBe('$#00');
  });

  it('escapes #, $, } and * in what it sends', () => {
    expect(text(encodePacket('a#b$c}d*e'))).toBe('$a}\x03b}\x04c}]d}\x0ae#' + text(encodePacket('a#b$c}d*e')).slice(-2));
    const body = encodePacket('#').subarray(1, -3);
    expect([...body]).toEqual([0x7d, 0x03]);
  });

  it('decodes packets split anywhere, acknowledging each by its checksum', () => {
    const d = new RspDecoder();
    expect(d.push(Buffer.from('+$g#6'))).toEqual([]);
    expect(d.push(Buffer.from('7$m0,4#fd'))).toEqual([
      { kind: 'packet', data: Uint8Array.from(Buffer.from('g')) },
      { kind: 'packet', data: Uint8Array.from(Buffer.from('m0,4')) },
    ]);
    expect(d.acks).toEqual(['+', '+']);
  });

  it('refuses a bad checksum with -, and stops checking once acknowledgements are off', () => {
    const d = new RspDecoder();
    expect(d.push(Buffer.from('$g#00'))).toEqual([]);
    expect(d.acks).toEqual(['-']);
    d.acks.length = 0;
    d.ackMode = false;
    expect(d.push(Buffer.from('$g#00'))).toHaveLength(1);
    expect(d.acks).toEqual([]);
  });

  it('sees Ctrl-C and a request to send again between packets', () => {
    const d = new RspDecoder();
    expect(d.push(Uint8Array.from([3, 0x2d]))).toEqual([{ kind: 'interrupt' }, { kind: 'nak' }]);
  });

  it('converts hex and unescapes binary data', () => {
    expect(toHex(Uint8Array.from([0, 0xab, 0x10]))).toBe('00ab10');
    expect(fromHex('00ab10')).toEqual(Uint8Array.from([0, 0xab, 0x10]));
    expect(fromHex('0ab')).toBeUndefined();
    expect(fromHex('zz')).toBeUndefined();
    expect(unescapeBinary(Uint8Array.from([1, 0x7d, 0x5d, 2, 0x7d, 0x03]))).toEqual(Uint8Array.from([1, 0x7d, 2, 0x23]));
  });
});
