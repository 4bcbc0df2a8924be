/**
 * Trace events: plain records with a cycle timestamp, the core, the guest and the PC. Exporters
 * (Chrome/Perfetto JSON, stats) are separate modules that read these records.
 */
import type { TrapKind } from '../arch/cpu.ts';

interface Base {
  /** Virtual time in cycles of the core's clock. */
  readonly ts: number;
  readonly core: number;
}

export type TraceEvent =
  | (Base & { readonly kind: 'guest-start'; readonly guest: string; readonly pc: number })
  | (Base & { readonly kind: 'guest-stop'; readonly guest: string; readonly pc: number; readonly state: string; readonly detail: string })
  | (Base & { readonly kind: 'trap'; readonly guest: string; readonly pc: number; readonly dur: number; readonly trap: TrapKind; readonly detail: string })
  | (Base & { readonly kind: 'exception-entry'; readonly guest: string; readonly pc: number; readonly dur: number; readonly exception: string; readonly tailChained: boolean })
  | (Base & { readonly kind: 'exception-return'; readonly guest: string; readonly pc: number; readonly dur: number; readonly exception: string })
  | (Base & { readonly kind: 'vcpu-switch'; readonly dur: number; readonly from: string | null; readonly to: string })
  | (Base & { readonly kind: 'vcpu-switch-in'; readonly guest: string; readonly pc: number })
  | (Base & { readonly kind: 'vcpu-switch-out'; readonly guest: string; readonly pc: number; readonly reason: string })
  | (Base & { readonly kind: 'idle'; readonly dur: number })
  | (Base & { readonly kind: 'vcpu-migrate'; readonly guest: string; readonly dur: number; readonly from: number; readonly to: number })
  | (Base & { readonly kind: 'io-begin'; readonly guest: string; readonly id: number; readonly path: string; readonly device: string })
  | (Base & { readonly kind: 'io-phase'; readonly guest: string; readonly id: number; readonly phase: string; readonly dur: number; readonly sync: boolean })
  | (Base & { readonly kind: 'io-end'; readonly guest: string; readonly id: number; readonly requests: number; readonly bytes: number; readonly errors: number })
  /** A sample of a counter track (e.g. `io rate <guest>`): each value keeps until the next sample. */
  | (Base & { readonly kind: 'counter'; readonly name: string; readonly values: Readonly<Record<string, number>> });
