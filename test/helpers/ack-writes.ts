/**
 * What firmware/build/ackwrite.elf says it wrote, and whether a disk image holds it: the guest
 * prints a line after every write the device acknowledged (its slot and byte value) naming the
 * next write, the only one that may be in flight when the run ends. Every slot must then hold
 * its last acknowledged byte (0 if never written), except the next write's slot, which may also
 * hold that write's byte. Checked with qemu-io (`read -P`), one command per slot.
 */
import { spawnSync } from 'node:child_process';
import { QEMU_IO } from '../storage/helpers.ts';

export interface Write {
  readonly slot: number;
  readonly byte: number;
}

export interface AckLog {
  /** Slots of the disk (0 when the guest never started). */
  readonly slots: number;
  /** Bytes per slot. */
  readonly size: number;
  /** Each acknowledged slot's last byte. */
  readonly expected: ReadonlyMap<number, number>;
  /** Acknowledged writes. */
  readonly acks: number;
  /** The write that may be in flight (undefined when the guest never started). */
  readonly inFlight: Write | undefined;
}

const START = /^\[(\S+)\] ackwrite: start size=(\d+) slots=(\d+) seed=\d+ next slot (\d+) byte (\d+)$/;
const ACK = /^\[(\S+)\] ackwrite: ack (\d+) slot (\d+) byte (\d+) next slot (\d+) byte (\d+)$/;

/** Reads guest `guest`'s ackwrite lines from `hv run`'s stdout (a torn last line is no ack). */
export function parseAckLog(stdout: string, guest: string): AckLog {
  let slots = 0;
  let size = 0;
  let inFlight: Write | undefined;
  const expected = new Map<number, number>();
  let acks = 0;
  for (const line of stdout.split('\n')) {
    const start = START.exec(line);
    if (start && start[1] === guest) {
      [size, slots] = [Number(start[2]), Number(start[3])];
      inFlight = { slot: Number(start[4]), byte: Number(start[5]) };
    }
    const ack = ACK.exec(line);
    if (!ack || ack[1] !== guest) continue;
    if (Number(ack[2]) !== acks) throw new Error(`ackwrite: ack ${ack[2]} out of order (expected ${acks})`);
    const write = { slot: Number(ack[3]), byte: Number(ack[4]) };
    if (inFlight?.slot !== write.slot || inFlight.byte !== write.byte) throw new Error(`ackwrite: ack ${acks} is not the announced next write`);
    expected.set(write.slot, write.byte);
    inFlight = { slot: Number(ack[5]), byte: Number(ack[6]) };
    acks++;
  }
  return { slots, size, expected, acks, inFlight };
}

/** Offsets at which `read -P` commands failed their pattern (qemu-io prints one line each). */
function patternFailures(file: string, format: string, reads: ReadonlyArray<{ offset: number; length: number; byte: number }>): Set<number> {
  if (!QEMU_IO) throw new Error('qemu-io missing (guard the test with HAVE_QEMU)');
  const args = ['-f', format, '-r', ...reads.flatMap((r) => ['-c', `read -P ${r.byte} ${r.offset} ${r.length}`]), file];
  const run = spawnSync(QEMU_IO, args, { encoding: 'utf8', timeout: 120_000 });
  const output = `${run.stdout}${run.stderr}`;
  const reported = [...output.matchAll(/^read (\d+)\/(\d+) bytes at offset (\d+)$/gm)];
  if (reported.length !== reads.length) throw new Error(`qemu-io answered ${reported.length} of ${reads.length} reads: ${output.slice(0, 500)}`);
  return new Set([...output.matchAll(/^Pattern verification failed at offset (\d+),/gm)].map((m) => Number(m[1])));
}

/**
 * Slots whose content is not what the log allows, as `slot: found?` descriptions (empty when
 * the image holds every acknowledged write and nothing else).
 */
export function checkAckedWrites(file: string, format: 'raw' | 'qcow2', log: AckLog, slots = log.slots, size = log.size): string[] {
  const reads = Array.from({ length: slots }, (_, slot) => ({ offset: slot * size, length: size, byte: log.expected.get(slot) ?? 0 }));
  const failed = patternFailures(file, format, reads);
  const flight = log.inFlight;
  const wrong: string[] = [];
  for (const slot of [...failed].map((offset) => offset / size).sort((a, b) => a - b)) {
    const want = log.expected.get(slot) ?? 0;
    if (flight && flight.slot === slot && patternFailures(file, format, [{ offset: slot * size, length: size, byte: flight.byte }]).size === 0) continue;
    wrong.push(`slot ${slot}: expected byte ${want}${flight?.slot === slot ? ` or the in-flight ${flight.byte}` : ''}`);
  }
  return wrong;
}
