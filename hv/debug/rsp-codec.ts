/**
 * Framing of the GDB Remote Serial Protocol (GDB manual, "Overview" of Appendix E): a packet is
 * `$data#cc` with `cc` the modulo-256 sum of the data in two hex digits; the receiver answers `+`
 * (or `-` to get it again) until both sides switch acknowledgements off (QStartNoAckMode); a
 * lone 0x03 byte outside a packet is an interrupt (Ctrl-C in gdb). In packet data, `}` escapes
 * the next byte (XOR 0x20); `#`, `$`, `}` and `*` (run-length marker) are escaped when sent.
 */

export type RspEvent =
  | { readonly kind: 'packet'; readonly data: Uint8Array }
  | { readonly kind: 'interrupt' }
  /** The peer asked for the last packet again (`-`). */
  | { readonly kind: 'nak' };

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const INTERRUPT = 0x03;

/** Incremental decoder: bytes from the socket in, packets and interrupts out. */
export class RspDecoder {
  private state: 'idle' | 'data' | 'checksum' = 'idle';
  private data: number[] = [];
  private checksum = '';
  /** Acknowledgements for received packets (`+`/`-`) to send while ack mode is on. */
  readonly acks: string[] = [];
  ackMode = true;

  push(bytes: Uint8Array): RspEvent[] {
    const events: RspEvent[] = [];
    for (const byte of bytes) {
      const event = this.byte(byte);
      if (event) events.push(event);
    }
    return events;
  }

  private byte(b: number): RspEvent | undefined {
    switch (this.state) {
      case 'idle':
        if (b === DOLLAR) {
          this.state = 'data';
          this.data = [];
        } else if (b === INTERRUPT) return { kind: 'interrupt' };
        else if (b === MINUS) return { kind: 'nak' };
        // `+` and noise between packets are ignored.
        return undefined;
      case 'data':
        if (b === HASH) {
          this.state = 'checksum';
          this.checksum = '';
        } else this.data.push(b);
        return undefined;
      case 'checksum':
        this.checksum += String.fromCharCode(b);
        return this.checksum.length === 2 ? this.finish() : undefined;
    }
  }

  private finish(): RspEvent | undefined {
    this.state = 'idle';
    const data = Uint8Array.from(this.data);
    if (!this.ackMode) return { kind: 'packet', data };
    const ok = Number.parseInt(this.checksum, 16) === sum(data);
    this.acks.push(ok ? '+' : '-');
    return ok ? { kind: 'packet', data } : undefined;
  }
}

/** A packet with `data` (escaped) and its checksum. */
export function encodePacket(data: string | Uint8Array): Uint8Array {
  const raw = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const escaped: number[] = [];
  for (const b of raw) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) escaped.push(ESCAPE, b ^ 0x20);
    else escaped.push(b);
  }
  const body = Uint8Array.from(escaped);
  const tail = `#${sum(body).toString(16).padStart(2, '0')}`;
  return Buffer.concat([Buffer.from('$'), body, Buffer.from(tail, 'latin1')]);
}

/** Removes the `}` escapes of binary packet data (X packets). */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) out.push(data[i] === ESCAPE && i + 1 < data.length ? data[++i]! ^ 0x20 : data[i]!);
  return Uint8Array.from(out);
}

function sum(bytes: Uint8Array): number {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xff;
  return s;
}

/** Bytes as lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex text as bytes; undefined when it is not an even number of hex digits. */
export function fromHex(text: string): Uint8Array | undefined {
  return /^(?:[0-9a-fA-F]{2})*$/.test(text) ? Uint8Array.from(Buffer.from(text, 'hex')) : undefined;
}

/** `+` or `-` as bytes (acknowledgements). */
export function ackBytes(ack: string): Uint8Array {
  return Buffer.from(ack === '+' ? [PLUS] : [MINUS]);
}
