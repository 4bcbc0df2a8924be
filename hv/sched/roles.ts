/**
 * What a policy must respect about each vCPU besides its own decisions: some vCPUs are pinned
 * (a guest with `core:` in the system file, and the driver VM: never moved by a policy), some may
 * run only on some cores (an in-context guest needs one of the driver VM's per-core call records),
 * and one is the driver VM (it runs the split path's backends). The composition root fills these
 * in; tests use {@link freeRoles} or their own.
 */
export interface VcpuRoles<V> {
  /** Never moved by a policy. */
  pinned(vcpu: V): boolean;
  /** May `vcpu` run on `core`? */
  allowed(vcpu: V, core: number): boolean;
  /** Is `vcpu` the driver VM? */
  isDriver(vcpu: V): boolean;
}

/** Nothing pinned, every core allowed, no driver VM. */
export function freeRoles<V>(): VcpuRoles<V> {
  return { pinned: () => false, allowed: () => true, isDriver: () => false };
}

/** Roles kept in sets that are filled as the vCPUs are created. */
export class RoleTable<V> implements VcpuRoles<V> {
  private readonly pins = new Set<V>();
  private readonly limits = new Map<V, number>();
  private driver: V | undefined;

  pin(vcpu: V): void {
    this.pins.add(vcpu);
  }

  /** `vcpu` may run only on cores below `cores`. */
  limitCores(vcpu: V, cores: number): void {
    this.limits.set(vcpu, cores);
  }

  setDriver(vcpu: V): void {
    this.driver = vcpu;
    this.pins.add(vcpu);
  }

  pinned(vcpu: V): boolean {
    return this.pins.has(vcpu);
  }

  allowed(vcpu: V, core: number): boolean {
    return core < (this.limits.get(vcpu) ?? Infinity);
  }

  isDriver(vcpu: V): boolean {
    return this.driver === vcpu;
  }
}
