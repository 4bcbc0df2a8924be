/**
 * The GDB Remote Serial Protocol commands the stub answers, for one guest seen as a single
 * thread (id 1) in all-stop mode. Each packet becomes a reply or an action for the controller
 * (resume, detach, kill). Register and memory access go through a {@link StubTarget}, which the
 * controller backs with the guest's vCPU (architecture-specific registers) and its own address
 * space. Unknown packets get the empty reply, as the protocol asks.
 */
import type { DebugAccess } from '../arch/cpu.ts';
import { fromHex, toHex, unescapeBinary } from './rsp-codec.ts';

export type PointKind = 'software' | 'hardware' | 'write' | 'read' | 'access';
/** Z/z packet type number → kind. */
const POINT_KINDS: readonly PointKind[] = ['software', 'hardware', 'write', 'read', 'access'];

export interface StubTarget {
  readonly debug: DebugAccess;
  /** Up to `length` bytes from `address` (fewer at the end of a region); undefined when none is readable. */
  readMemory(address: number, length: number): Uint8Array | undefined;
  writeMemory(address: number, bytes: Uint8Array): boolean;
  /** Inserts a breakpoint or watchpoint; false when the comparators of that kind are used up. */
  insertPoint(kind: PointKind, address: number, length: number): boolean;
  removePoint(kind: PointKind, address: number, length: number): void;
  /** Why the guest is stopped, as a stop reply (T, W or X packet). */
  stopReply(): string;
}

export type StubAction =
  | { readonly kind: 'reply'; readonly data: string }
  | { readonly kind: 'resume'; readonly step: boolean; readonly address?: number }
  | { readonly kind: 'detach'; readonly data: string }
  | { readonly kind: 'kill' }
  /** Turn acknowledgements off once `data` (OK) is sent. */
  | { readonly kind: 'no-ack'; readonly data: string };

/** Largest packet we accept and send (hex characters of a memory read count twice). */
export const PACKET_SIZE = 0x4000;
const FEATURES = `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+`;
const E_BAD = 'E01';
const E_FAULT = 'E14';
const E_FULL = 'E1c';

const reply = (data: string): StubAction => ({ kind: 'reply', data });

type PacketHandler = (text: string, target: StubTarget, packet: Uint8Array) => StubAction;

/** One handler per packet letter (GDB's RSP, "Packets"); an unknown packet gets an empty reply. */
const PACKETS: Record<string, PacketHandler> = {
  '?': (_t, target) => reply(target.stopReply()),
  g: (_t, target) => reply(target.debug.registers.map((r) => toHex(target.debug.readRegister(r.regnum)!)).join('')),
  G: (t, target) => reply(writeAllRegisters(t.slice(1), target.debug)),
  p: (t, target) => reply(readRegister(t.slice(1), target.debug)),
  P: (t, target) => reply(writeRegister(t.slice(1), target.debug)),
  m: (t, target) => reply(readMemory(t.slice(1), target)),
  M: (t, target) => reply(writeMemoryHex(t.slice(1), target)),
  X: (_t, target, packet) => reply(writeMemoryBinary(packet, target)),
  Z: (t, target) => reply(breakpoint(true, t.slice(1), target)),
  z: (t, target) => reply(breakpoint(false, t.slice(1), target)),
  c: (t) => resume(false, t.slice(1)),
  s: (t) => resume(true, t.slice(1)),
  // The signal to deliver is ignored: a guest has no POSIX signals.
  C: (t) => resume(false, t.slice(1).split(';')[1] ?? ''),
  S: (t) => resume(true, t.slice(1).split(';')[1] ?? ''),
  v: (t) => vPacket(t),
  q: (t, target) => query(t, target),
  Q: (t, target) => query(t, target),
  H: () => reply('OK'),
  T: () => reply('OK'),
  D: () => ({ kind: 'detach', data: 'OK' }),
  k: () => ({ kind: 'kill' }),
};

export function handlePacket(packet: Uint8Array, target: StubTarget): StubAction {
  const text = Buffer.from(packet).toString('latin1');
  const handler = PACKETS[text[0] ?? ''];
  return handler ? handler(text, target, packet) : reply('');
}

function resume(step: boolean, addressText: string): StubAction {
  if (addressText === '') return { kind: 'resume', step };
  const address = parseHexNumber(addressText);
  return address === undefined ? reply(E_BAD) : { kind: 'resume', step, address };
}

/** vCont: the first action for our thread (or all threads) decides; vKill ends the run. */
function vPacket(text: string): StubAction {
  if (text === 'vCont?') return reply('vCont;c;C;s;S');
  if (text.startsWith('vCont;')) {
    for (const action of text.slice('vCont;'.length).split(';')) {
      const [verb = '', thread] = action.split(':');
      if (thread !== undefined && thread !== '1' && thread !== '-1' && thread !== 'p1.1' && thread !== 'p1.-1') continue;
      if (verb === 'c' || verb.startsWith('C')) return { kind: 'resume', step: false };
      if (verb === 's' || verb.startsWith('S')) return { kind: 'resume', step: true };
    }
    return reply(E_BAD);
  }
  if (text.startsWith('vKill')) return { kind: 'kill' };
  return reply('');
}

function query(text: string, target: StubTarget): StubAction {
  if (text.startsWith('qSupported')) return reply(FEATURES);
  if (text === 'QStartNoAckMode') return { kind: 'no-ack', data: 'OK' };
  if (text.startsWith('qXfer:features:read:')) return reply(featuresRead(text.slice('qXfer:features:read:'.length), target.debug.targetXml));
  if (text === 'qAttached' || text.startsWith('qAttached:')) return reply('1');
  if (text === 'qC') return reply('QC1');
  if (text === 'qfThreadInfo') return reply('m1');
  if (text === 'qsThreadInfo') return reply('l');
  if (text.startsWith('qSymbol')) return reply('OK');
  return reply('');
}

/** qXfer:features:read:ANNEX:OFFSET,LENGTH → `m` + part, or `l` + the last part. */
function featuresRead(args: string, xml: string): string {
  const match = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (!match) return E_BAD;
  if (match[1] !== 'target.xml') return 'E00';
  const offset = Number.parseInt(match[2]!, 16);
  const length = Number.parseInt(match[3]!, 16);
  const part = xml.slice(offset, offset + length);
  return `${offset + length >= xml.length ? 'l' : 'm'}${part}`;
}

function readRegister(args: string, debug: DebugAccess): string {
  const regnum = parseHexNumber(args);
  const bytes = regnum === undefined ? undefined : debug.readRegister(regnum);
  return bytes ? toHex(bytes) : E_BAD;
}

function writeRegister(args: string, debug: DebugAccess): string {
  const [number = '', value = ''] = args.split('=');
  const regnum = parseHexNumber(number);
  const bytes = fromHex(value);
  return regnum !== undefined && bytes && debug.writeRegister(regnum, bytes) ? 'OK' : E_BAD;
}

function writeAllRegisters(hex: string, debug: DebugAccess): string {
  const bytes = fromHex(hex);
  if (!bytes) return E_BAD;
  let offset = 0;
  for (const r of debug.registers) {
    if (offset + r.bytes > bytes.length) break;
    debug.writeRegister(r.regnum, bytes.subarray(offset, offset + r.bytes));
    offset += r.bytes;
  }
  return 'OK';
}

function readMemory(args: string, target: StubTarget): string {
  const range = parseRange(args);
  if (!range) return E_BAD;
  const length = Math.min(range.length, PACKET_SIZE / 2 - 8);
  const bytes = length === 0 ? new Uint8Array(0) : target.readMemory(range.address, length);
  return bytes ? toHex(bytes) : E_FAULT;
}

function writeMemoryHex(args: string, target: StubTarget): string {
  const [where = '', hex = ''] = args.split(':');
  const range = parseRange(where);
  const bytes = fromHex(hex);
  if (!range || !bytes || bytes.length !== range.length) return E_BAD;
  return target.writeMemory(range.address, bytes) ? 'OK' : E_FAULT;
}

function writeMemoryBinary(packet: Uint8Array, target: StubTarget): string {
  const colon = packet.indexOf(0x3a);
  if (colon < 0) return E_BAD;
  const range = parseRange(Buffer.from(packet.subarray(1, colon)).toString('latin1'));
  const bytes = unescapeBinary(packet.subarray(colon + 1));
  if (!range || bytes.length !== range.length) return E_BAD;
  return range.length === 0 || target.writeMemory(range.address, bytes) ? 'OK' : E_FAULT;
}

/** Z/z TYPE,ADDR,KIND: KIND is the instruction size for breakpoints, the byte count for watchpoints. */
function breakpoint(insert: boolean, args: string, target: StubTarget): string {
  const match = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(args);
  if (!match) return E_BAD;
  const kind = POINT_KINDS[Number(match[1])]!;
  const address = Number.parseInt(match[2]!, 16);
  const length = Number.parseInt(match[3]!, 16);
  if (!insert) {
    target.removePoint(kind, address, length);
    return 'OK';
  }
  return target.insertPoint(kind, address, length) ? 'OK' : E_FULL;
}

function parseRange(text: string): { address: number; length: number } | undefined {
  const match = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
  if (!match) return undefined;
  const address = Number.parseInt(match[1]!, 16);
  const length = Number.parseInt(match[2]!, 16);
  return address <= 0xffffffff && length <= 0xffffffff ? { address, length } : undefined;
}

function parseHexNumber(text: string): number | undefined {
  return /^[0-9a-fA-F]{1,8}$/.test(text) ? Number.parseInt(text, 16) : undefined;
}
