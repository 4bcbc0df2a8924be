/** Memory permissions by name, as Unicorn's UC_PROT bits (what callers outside the binding use). */
import { UC_PROT } from './constants.ts';

export type Permissions = 'rwx' | 'rw' | 'rx' | 'r';

const BITS: Record<Permissions, number> = {
  rwx: UC_PROT.ALL,
  rw: UC_PROT.READ | UC_PROT.WRITE,
  rx: UC_PROT.READ | UC_PROT.EXEC,
  r: UC_PROT.READ,
};

export function protection(perms: Permissions): number {
  return BITS[perms];
}
