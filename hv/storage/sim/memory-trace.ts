/**
 * A generated trace kept in memory, compactly (typed arrays, names interned), that can be fed to
 * the simulator any number of times: the suite generates each workload once and replays it for
 * MIN's first pass and for the policies. It yields exactly the records that writing the trace as
 * hvlab CSV and reading it back would (the same time conversion; numbers survive the text round
 * trip exactly).
 */
import { CLOCK_HZ } from '../cache/disk-timing.ts';
import type { TraceSink } from './generators/trace-sink.ts';
import type { TraceConsumer, TraceRecord } from './trace.ts';

const CYCLES_PER_US = CLOCK_HZ / 1_000_000;

export class MemoryTrace implements TraceSink {
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private time = new Float64Array(1024);
  private offset = new Float64Array(1024);
  private size = new Float64Array(1024);
  private vm = new Int32Array(1024);
  /** Image name id, negated minus one for writes. */
  private image = new Int32Array(1024);
  private length = 0;
  /** Chain declarations, each before the record at `at`. */
  private readonly chains: { at: number; vm: string; images: readonly string[] }[] = [];

  get records(): number {
    return this.length;
  }

  comment(_text: string): void {}

  header(): void {}

  chain(vm: string, images: readonly string[]): void {
    this.chains.push({ at: this.length, vm, images: [...images] });
  }

  record(timeUs: number, vm: string, write: boolean, image: string, offset: number, size: number): void {
    if (this.length === this.time.length) this.grow();
    const i = this.length++;
    this.time[i] = timeUs * CYCLES_PER_US;
    this.vm[i] = this.nameId(vm);
    const id = this.nameId(image);
    this.image[i] = write ? -id - 1 : id;
    this.offset[i] = offset;
    this.size[i] = size;
  }

  /** Feeds every chain and record to `consumer`, in order. */
  replay(consumer: TraceConsumer): void {
    const r: TraceRecord = { time: 0, vm: '', write: false, image: '', offset: 0, size: 0 };
    let chain = 0;
    for (let i = 0; i < this.length; i++) {
      for (; chain < this.chains.length && this.chains[chain]!.at <= i; chain++) consumer.chain(this.chains[chain]!.vm, this.chains[chain]!.images);
      const image = this.image[i]!;
      r.time = this.time[i]!;
      r.vm = this.names[this.vm[i]!]!;
      r.write = image < 0;
      r.image = this.names[image < 0 ? -image - 1 : image]!;
      r.offset = this.offset[i]!;
      r.size = this.size[i]!;
      consumer.record(r);
    }
    for (; chain < this.chains.length; chain++) consumer.chain(this.chains[chain]!.vm, this.chains[chain]!.images);
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  private grow(): void {
    const n = this.time.length * 2;
    this.time = grown(new Float64Array(n), this.time);
    this.offset = grown(new Float64Array(n), this.offset);
    this.size = grown(new Float64Array(n), this.size);
    this.vm = grown(new Int32Array(n), this.vm);
    this.image = grown(new Int32Array(n), this.image);
  }
}

function grown<T extends Float64Array | Int32Array>(to: T, from: T): T {
  to.set(from);
  return to;
}
