/** Writes the Chrome trace of a finished run, one event per line (large traces stream well). */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RunResult } from '../core/hypervisor.ts';
import type { BootedSystem } from '../core/system.ts';
import { UsageError } from '../errors.ts';
import { chromeTrace } from './chrome-trace.ts';

export function writeChromeTrace(file: string, system: BootedSystem, result: RunResult): void {
  const vms = system.hypervisor.vms;
  const trace = chromeTrace(
    system.recorder.events,
    {
      clockHz: vms[0]!.config.board.clockHz,
      coreCount: system.coreCount,
      guests: vms.map((vm) => vm.name),
      dropped: system.recorder.dropped,
      board: vms[0]!.config.board.name,
    },
    result.cycles,
  ) as { traceEvents: object[]; displayTimeUnit: string; otherData: object };
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (cause) {
    throw new UsageError(`${file}: cannot write: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
  try {
    const chunks = new ChunkedWriter(fd);
    chunks.write('{"traceEvents":[\n');
    trace.traceEvents.forEach((e, i) => chunks.write(`${i === 0 ? '' : ',\n'}${JSON.stringify(e)}`));
    chunks.write(`\n],\n"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},\n"otherData":${JSON.stringify(trace.otherData)}}\n`);
    chunks.flush();
  } finally {
    closeSync(fd);
  }
}

/** Collects small strings and writes them in ~1 MiB system calls. */
class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
