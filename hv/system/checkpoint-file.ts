/**
 * The checkpoint file format (version 1):
 *
 * | bytes | what |
 * |---|---|
 * | 8 | magic `HVLABCKP` |
 * | 4 | format version, little-endian (1) |
 * | 4 | header length H, little-endian |
 * | H | header: UTF-8 JSON (what the file is: hvlab build, system, virtual time, guests) |
 * | P | payload: the system's state, encoded (checkpoint-codec.ts) and deflated (P is in the header) |
 * | 32 | SHA-256 of everything before it |
 *
 * A file that is shorter than its header says is truncated; one whose checksum does not match
 * is corrupt; one of another format version or hvlab build is refused. Each refusal is one
 * CheckpointError naming the file and the reason (exit status 2 in the CLI).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { CheckpointError, OutputError } from '../errors.ts';
import { errnoText } from '../input-file.ts';
import { sha256, zlib } from '../lazy-builtins.ts';
import { decodeState, encodeState } from './checkpoint-codec.ts';

export const CHECKPOINT_MAGIC = 'HVLABCKP';
export const CHECKPOINT_VERSION = 1;
const PREFIX = 16;
const CHECKSUM = 32;

/** What a checkpoint says about itself (readable with `head -c` and a JSON viewer). */
export interface CheckpointHeader {
  readonly format: 'hvlab-checkpoint';
  /** hvlab's package version, for people. */
  readonly hvlab: string;
  /** Hash of hvlab's sources: a checkpoint restores only into the build that made it. */
  readonly build: string;
  /** Hash of the system's configuration and boot options. */
  readonly system: string;
  /** The system file (or image) the system came from. */
  readonly source: string;
  /** Virtual time of the checkpoint, in cycles. */
  readonly cycles: number;
  readonly guests: readonly string[];
  /** Length of the payload in bytes. */
  readonly payloadBytes: number;
}

export interface CheckpointFile<S> {
  readonly header: CheckpointHeader;
  readonly state: S;
}

/** Writes the file whole or not at all (a temporary file renamed into place); returns its size. */
export function writeCheckpointFile(file: string, header: Omit<CheckpointHeader, 'payloadBytes'>, state: unknown): number {
  const payload = zlib().deflateSync(encodeState(state), { level: 1 });
  const json = Buffer.from(JSON.stringify({ ...header, payloadBytes: payload.length }), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(CHECKPOINT_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  const body = Buffer.concat([prefix, json, payload]);
  const bytes = Buffer.concat([body, sha256().update(body).digest()]);
  const temporary = `${file}.${process.pid}.partial`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, file);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw new OutputError(file, errnoText(cause), { cause });
  }
  return bytes.length;
}

/** Reads and checks a checkpoint; `build` is this hvlab's build hash. */
export function readCheckpointFile<S>(file: string, build: string): CheckpointFile<S> {
  const bytes = readBytes(file);
  const fail = (reason: string) => new CheckpointError(`${file}: ${reason}`);
  if (bytes.length < CHECKPOINT_MAGIC.length || bytes.toString('latin1', 0, CHECKPOINT_MAGIC.length) !== CHECKPOINT_MAGIC) {
    throw fail(`not an hvlab checkpoint (no ${CHECKPOINT_MAGIC} magic at the start)`);
  }
  if (bytes.length < PREFIX) throw fail(`truncated checkpoint (${bytes.length} bytes)`);
  const version = bytes.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) throw fail(`checkpoint format version ${version}; this hvlab reads version ${CHECKPOINT_VERSION}`);
  const headerEnd = PREFIX + bytes.readUInt32LE(12);
  if (bytes.length < headerEnd + CHECKSUM) throw fail(`truncated checkpoint (${bytes.length} bytes; the header alone needs ${headerEnd + CHECKSUM})`);
  const header = parseHeader(bytes.subarray(PREFIX, headerEnd));
  const expected = header ? headerEnd + header.payloadBytes + CHECKSUM : undefined;
  if (expected !== undefined && bytes.length < expected) throw fail(`truncated checkpoint (${bytes.length} of ${expected} bytes)`);
  if (expected !== undefined && bytes.length > expected) throw fail(`corrupt checkpoint (${bytes.length - expected} bytes after its end)`);
  const sum = sha256().update(bytes.subarray(0, bytes.length - CHECKSUM)).digest();
  if (!header || !sum.equals(bytes.subarray(bytes.length - CHECKSUM))) throw fail('corrupt checkpoint (its SHA-256 checksum does not match its contents)');
  if (header.build !== build) {
    throw fail(`made by another build of hvlab (build ${header.build.slice(0, 12)}, this is ${build.slice(0, 12)}): restore it with the hvlab that made it`);
  }
  try {
    return { header, state: decodeState(zlib().inflateSync(bytes.subarray(headerEnd, bytes.length - CHECKSUM))) as S };
  } catch (cause) {
    throw new CheckpointError(`${file}: corrupt checkpoint (its state cannot be decoded: ${(cause as Error).message})`, { cause });
  }
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new CheckpointError(`${file}: cannot read checkpoint: ${errnoText(cause)}`, { cause });
  }
}

function parseHeader(bytes: Buffer): CheckpointHeader | undefined {
  try {
    const header = JSON.parse(bytes.toString('utf8')) as CheckpointHeader;
    const valid = header?.format === 'hvlab-checkpoint' && typeof header.build === 'string' && Number.isSafeInteger(header.payloadBytes) && header.payloadBytes >= 0;
    return valid ? header : undefined;
  } catch {
    return undefined;
  }
}
