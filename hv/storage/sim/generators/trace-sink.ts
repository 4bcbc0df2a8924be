/**
 * Where a generator writes its trace: a file or standard output in hvlab CSV (TraceWriter), or
 * memory (MemoryTrace, for the suite, which replays each trace twice without text in between).
 */
export interface TraceSink {
  comment(text: string): void;
  /** A VM's disk chain, top image first (may come again later: a recomposed linked clone). */
  chain(vm: string, images: readonly string[]): void;
  header(): void;
  record(timeUs: number, vm: string, write: boolean, image: string, offset: number, size: number): void;
}
