/**
 * The driver VM's hypercalls in the split path (SVC numbers in firmware/lib/hvlab-io.h):
 *  - GRANT_COPY_FROM / GRANT_COPY_TO (r0 frontend, r1 frontend address, r2 local address,
 *    r3 length): the hypervisor checks that the frontend uses the split path, that the range is
 *    the frontend's RAM and that the local range is the driver's window, then copies; r0 = 0, or
 *    -1 when any check fails;
 *  - QUEUE_STATE (r0 = a call record in the window): the driver processed an event; the
 *    hypervisor updates the frontend's queue state and interrupts it when asked to;
 *  - READY: the driver VM finished initialising.
 * Other SVC numbers are the driver VM's own (they raise its SVCall exception).
 */
import { grantCopyCycles } from '../../time/cost-model.ts';
import type { DriverVm } from '../driver-vm.ts';
import { CALL_SIZE, HV_DRIVER_VM_SLOT, HV_GRANT_DENIED, HV_GRANT_OK, HV_SVC, HV_VIRTIO_BLK_MAX_BYTES, decodeCallResult } from '../layout.ts';
import type { OpenIo, SplitPath } from './split-path.ts';

export type QueueStateReport = ReturnType<typeof decodeCallResult>;

export class SplitHypercalls {
  private readonly frontends = new Map<number, SplitPath>();
  /** I/Os posted to the driver VM, oldest first (it serves its mailbox in order). */
  private readonly inFlight: OpenIo[] = [];

  constructor(private readonly driver: DriverVm) {
    driver.vm.onHypercall((imm) => this.hypercall(imm));
    driver.platform.blockController.completions.add((c) => {
      const head = this.inFlight[0];
      if (c.slot !== HV_DRIVER_VM_SLOT || !head) return;
      head.deviceCycles += c.end - c.start;
      head.path.tracker.phase(head.io, 'device', c.start, c.end - c.start);
      if (c.ok && c.op !== 'flush') head.path.tracker.served(head.io, 0, c.count * 512, 0);
    });
  }

  register(frontend: number, path: SplitPath): void {
    this.frontends.set(frontend, path);
  }

  open(io: OpenIo): void {
    this.inFlight.push(io);
  }

  /** A vCPU switch brought the driver VM onto its core: counted for the I/O it serves. */
  worldSwitch(): void {
    const head = this.inFlight[0];
    head?.path.tracker.worldSwitch();
  }

  private hypercall(imm: number): boolean {
    const cpu = this.driver.vm.cpu;
    const [r0, r1, r2, r3] = cpu.hypercallArgs();
    switch (imm) {
      case HV_SVC.GRANT_COPY_FROM:
      case HV_SVC.GRANT_COPY_TO:
        this.trap(`grant copy ${imm === HV_SVC.GRANT_COPY_FROM ? 'from' : 'to'} frontend ${r0}`, r0);
        cpu.setHypercallResult(this.grantCopy(imm === HV_SVC.GRANT_COPY_FROM, r0, r1, r2, r3));
        return true;
      case HV_SVC.QUEUE_STATE:
        this.trap(`queue state at 0x${r0.toString(16)}`, undefined);
        this.queueState(r0);
        return true;
      case HV_SVC.READY:
        this.trap('driver ready', undefined);
        return true;
      default:
        return false;
    }
  }

  private trap(detail: string, frontend: number | undefined): void {
    this.driver.vm.trap('hypercall', detail, this.driver.vm.cpu.pc());
    const io = this.current(frontend);
    io?.path.tracker.trap();
    if (io && io.firstHypercall === undefined) io.firstHypercall = this.driver.vm.clock.now();
  }

  /** The oldest in-flight I/O (of `frontend`, when given). */
  private current(frontend: number | undefined): OpenIo | undefined {
    return frontend === undefined ? this.inFlight[0] : this.inFlight.find((o) => o.path.frontend === frontend);
  }

  private grantCopy(fromFrontend: boolean, frontend: number, remote: number, local: number, length: number): number {
    const path = this.frontends.get(frontend);
    if (!path || length > HV_VIRTIO_BLK_MAX_BYTES) return HV_GRANT_DENIED;
    const source = fromFrontend ? path.vm.memory : this.driver.windowMemory;
    const target = fromFrontend ? this.driver.windowMemory : path.vm.memory;
    const data = source.read(fromFrontend ? remote : local, length);
    if (!data || !target.write(fromFrontend ? local : remote, data)) return HV_GRANT_DENIED;
    const cycles = grantCopyCycles(this.driver.costs, length);
    const io = this.current(frontend);
    if (io) {
      io.grantCycles += cycles;
      path.tracker.phase(io.io, 'grant copy', this.driver.vm.clock.now(), cycles);
    }
    this.driver.vm.clock.charge(cycles);
    return HV_GRANT_OK;
  }

  private queueState(address: number): void {
    const raw = this.driver.windowMemory.read(address, CALL_SIZE);
    if (!raw) return;
    const report = decodeCallResult(Buffer.from(raw));
    const path = this.frontends.get(report.frontend);
    const index = this.inFlight.findIndex((o) => o.path === path && o.transport.deviceId === report.device);
    if (!path || index < 0) return;
    const [open] = this.inFlight.splice(index, 1);
    path.queueState(open!, report, this.driver.vm.clock.now());
  }
}
