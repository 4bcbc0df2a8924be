/**
 * `hv run --disk-trace FILE`: records the guests' block requests as the physical block controller
 * serves them, in the simulator's hvlab CSV format (hv/storage/sim/hvlab-trace.ts), so that a real
 * run can be replayed against every cache policy with `hv cache-sim`. Each disk's chain is written
 * first (`#! chain`); a read names the image file that holds each block (a base image under an
 * overlay), a write names the guest's top image.
 */
import { basename } from 'node:path';
import type { BlockController, CompletedCommand } from '../../devices/block-controller.ts';
import type { BlockImage } from '../storage/block-image.ts';
import { TraceWriter } from '../storage/sim/generators/trace-writer.ts';

const SECTOR = 512;
const BLOCK = 4096;

export class DiskTraceRecorder {
  private readonly writer: TraceWriter;

  constructor(
    file: string,
    private readonly units: ReadonlyArray<{ guest: string; image: BlockImage }>,
    private readonly hz: number,
  ) {
    this.writer = new TraceWriter(file);
    this.writer.comment('hvlab disk trace: block requests served by the block controller (time in virtual microseconds)');
    for (const u of units) this.writer.chain(u.guest, chain(u.image));
    this.writer.header();
  }

  attach(controller: BlockController): void {
    controller.completions.add((c) => this.record(c));
  }

  close(): void {
    this.writer.close();
  }

  private record(c: CompletedCommand): void {
    const unit = this.units[c.unit];
    if (!unit || c.op === 'flush') return;
    const time = Number((c.start / (this.hz / 1e6)).toFixed(3));
    const start = c.sector * SECTOR;
    const end = start + c.count * SECTOR;
    if (c.op === 'write') return this.writer.record(time, unit.guest, true, basename(unit.image.file), start, end - start);
    for (const run of runsByFile(unit.image, start, end)) this.writer.record(time, unit.guest, false, run.file, run.offset, run.size);
  }
}

function chain(image: BlockImage): string[] {
  const files: string[] = [];
  for (let i: BlockImage | null = image; i; i = i.backing) files.push(basename(i.file));
  return files;
}

/** Splits [start, end) of `image` into runs that one file of its chain holds, block by block. */
function runsByFile(image: BlockImage, start: number, end: number): Array<{ file: string; offset: number; size: number }> {
  const runs: Array<{ file: string; offset: number; size: number }> = [];
  for (let at = start; at < end; ) {
    const next = Math.min(end, (Math.floor(at / BLOCK) + 1) * BLOCK);
    const where = image.locate(at);
    const file = basename(where.image.file);
    const last = runs[runs.length - 1];
    if (last && last.file === file && last.offset + last.size === where.offset) last.size += next - at;
    else runs.push({ file, offset: where.offset, size: next - at });
    at = next;
  }
  return runs;
}
