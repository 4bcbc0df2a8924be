/**
 * The master's virtual resource for one slave: what it offers (cores, memory, a vCPU limit) and
 * the use state of each, kept up to date from the slave's reports (measured CPU load, workloads
 * that finished) and from the master's own dispatches (reservations for workloads that start at
 * the next quantum). Plain data: the policies read it, only the master writes it.
 */
import type { Capacity } from './messages.ts';

export interface ResourceRecord {
  readonly name: string;
  /** Position in the cluster file (ties between slaves go to the lowest). */
  readonly index: number;
  readonly capacity: Capacity;
  /** vCPUs placed: running, or dispatched and about to start. */
  vcpus: number;
  /** I/O lanes taken by those workloads. */
  ioGuests: number;
  /** Memory reserved by those workloads, in bytes. */
  memory: number;
  /** Cores busy on average over the last reported quantum (guest cycles used / quantum length). */
  load: number;
  /** vCPUs dispatched since the last report (their load is not measured yet). */
  starting: number;
  /** I/O pressure over the last reported quantum: time its guests' disk requests spent in the device / quantum length. */
  ioLoad: number;
  /** False once a (modelled) node failure took the slave down. */
  up: boolean;
}

/** What a workload asks for: one vCPU (hvlab guests are single-core), its memory, and an I/O lane or not. */
export interface Demand {
  readonly memory: number;
  readonly io: boolean;
}

export function newRecord(name: string, index: number, capacity: Capacity): ResourceRecord {
  return { name, index, capacity, vcpus: 0, ioGuests: 0, memory: 0, load: 0, starting: 0, ioLoad: 0, up: true };
}

/** True when the slave is up and has a free vCPU, enough free memory and (if asked) a free I/O lane now. */
export function fits(record: ResourceRecord, demand: Demand): boolean {
  if (!record.up || record.vcpus >= record.capacity.vcpus || record.memory + demand.memory > record.capacity.memory) return false;
  return !demand.io || record.ioGuests < record.capacity.io;
}

/** True when the slave could take `demand` if it were empty (otherwise waiting for it is futile). */
export function couldEverFit(record: ResourceRecord, demand: Demand): boolean {
  return record.up && demand.memory <= record.capacity.memory && (!demand.io || record.capacity.io > 0);
}

/** Reserves the slave's resources for a workload dispatched to it. */
export function reserve(record: ResourceRecord, demand: Demand): void {
  record.vcpus += 1;
  record.starting += 1;
  record.memory += demand.memory;
  if (demand.io) record.ioGuests += 1;
}

/** Returns a workload's resources (it finished, or its slave failed). */
export function release(record: ResourceRecord, demand: Demand): void {
  record.vcpus -= 1;
  record.memory -= demand.memory;
  if (demand.io) record.ioGuests -= 1;
}
