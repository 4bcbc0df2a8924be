/**
 * Wires the I/O of a booted system: opens the guests' disk images as units of the physical block
 * controller, gives the driver VM its physical devices, and gives every guest with an `io-path`
 * its virtio-blk (when it has a disk) and virtio-console transports, served by its path.
 */
import type { ArchOps } from '../arch/cpu.ts';
import type { Vm } from '../core/vm.ts';
import type { DiskTimingConfig, GuestEntry, SystemConfig } from '../core/system-config.ts';
import { runAll } from '../cleanup.ts';
import { ConfigError, InternalError, UsageError } from '../errors.ts';
import type { GuestIoReport } from '../trace/stats-file.ts';
import type { BlockImage } from '../storage/block-image.ts';
import { DISK_TIMINGS, type DiskTiming, customDiskTiming } from '../storage/cache/disk-timing.ts';
import type { BlockCacheState } from '../storage/cache/block-cache.ts';
import { CachedDisk } from '../storage/cache/cached-disk.ts';
import { DiskCache, type DiskCacheOptions } from './disk-cache.ts';
import { DiskTraceRecorder } from './disk-trace.ts';
import { openImage } from '../storage/open-image.ts';
import { openSnapshot } from '../storage/snapshot.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { TraceRecorder } from '../trace/recorder.ts';
import { DriverVm } from './driver-vm.ts';
import { EmulatedPath } from './emulated/emulated-path.ts';
import { InContextPath } from './in-context/in-context-path.ts';
import type { IoPath, IoPathName } from './io-path.ts';
import { IoPlatform } from './io-platform.ts';
import { type IoObserver, IoTracker } from './io-tracker.ts';
import { HV_MAX_CORES, HV_MAX_FRONTENDS, HV_VIRTIO_BLK_BASE, HV_VIRTIO_BLK_IRQ, HV_VIRTIO_CONSOLE_BASE, HV_VIRTIO_CONSOLE_IRQ } from './layout.ts';
import { SplitHypercalls } from './split/split-hypercalls.ts';
import { SplitPath } from './split/split-path.ts';
import { virtioBlockType, virtioConsoleType } from './virtio-devices.ts';
import { VirtioTransport } from './virtio-mmio.ts';

export interface IoSystemOptions {
  config: SystemConfig;
  /** Guest VMs in system-file order. */
  guests: readonly Vm[];
  driverVm: Vm | undefined;
  costs: CostTable;
  recorder: TraceRecorder;
  cores: number;
  arch: ArchOps;
  /** Who learns of each guest's I/O submissions and completions (the scheduler). */
  observer?(vm: Vm): IoObserver;
  /** Record the guests' block requests into this file (hv run --disk-trace). */
  diskTrace?: string;
  /** Lanes for guests with an io-path added to the running system (their device slots are reserved now). */
  lanes?: number;
  /** Guests' disk-snapshot overlays to start from, by guest name (a restored checkpoint's). */
  overlays?: ReadonlyMap<string, Uint8Array>;
}

export interface GuestIo {
  readonly vm: Vm;
  readonly path: IoPath;
  readonly tracker: IoTracker;
  readonly transports: readonly VirtioTransport[];
  readonly unit: number | undefined;
  readonly disk: BlockImage | undefined;
}

/** The I/O system between steps, as a checkpoint keeps it (the disks' contents are saved beside it). */
export interface IoSystemState {
  readonly guests: ReadonlyArray<{ readonly name: string; readonly transports: readonly unknown[]; readonly tracker: ReturnType<IoTracker['saveState']>; readonly path: unknown }>;
  readonly split: ReturnType<SplitHypercalls['saveState']> | undefined;
  readonly blockController: unknown;
  readonly consoleUart: unknown;
  readonly cache: BlockCacheState | undefined;
}

export class IoSystem {
  readonly platform: IoPlatform;
  readonly guests: GuestIo[] = [];
  readonly driver: DriverVm | undefined;
  readonly diskCache: DiskCache;
  private readonly diskTrace: DiskTraceRecorder | undefined;
  private readonly split: SplitHypercalls | undefined;
  /** The guest on each console channel (boot guests by index, then one channel per lane). */
  private readonly channels: Array<Vm | undefined>;

  constructor(private readonly o: IoSystemOptions) {
    this.checkDriverLimits();
    const disks = openDisks(o.config, o.overlays);
    const images = disks.filter((d): d is BlockImage => d !== undefined);
    const timing = diskTiming(o.config.io?.['disk-timing'] ?? 'sd-spi');
    this.diskCache = new DiskCache(cacheOptions(o.config, timing));
    const wrapped = this.diskCache.wrap(images);
    this.channels = [...o.guests, ...new Array<undefined>(o.lanes ?? 0)];
    try {
      this.platform = new IoPlatform({ disks: wrapped, timing, cores: o.cores, guests: this.channels.length, console: (channel, byte) => this.channels[channel]?.console.write(byte) });
      this.diskCache.attach(this.platform.blockController);
      this.diskTrace = o.diskTrace === undefined ? undefined : this.recordDisks(o.diskTrace, disks);
      this.driver = o.driverVm && new DriverVm(o.driverVm, this.platform, o.costs, o.cores);
      this.split = this.driver && new SplitHypercalls(this.driver);
      this.wireGuests(disks);
    } catch (error) {
      // Nothing half-built keeps a disk open: the cache closes (and flushes) every disk.
      runAll([() => this.diskCache.close(), () => this.diskTrace?.close()]);
      throw error;
    }
  }

  private wireGuests(disks: ReadonlyArray<BlockImage | undefined>): void {
    const o = this.o;
    let unit = 0;
    let splitFrontend = 0;
    o.config.guests.forEach((g, index) => {
      const path = g['io-path'];
      if (!path) return;
      const disk = disks[index];
      // Split-path frontends are numbered 0.. among themselves: the driver VM's queue state index.
      const frontend = path === 'split' ? splitFrontend++ : index;
      this.guests.push(this.wireGuest(o.guests[index]!, index, path, disk, disk ? unit++ : undefined, frontend));
    });
  }

  /**
   * The driver VM has one call record and stack per core (in-context calls) and queue state for
   * a fixed number of frontends (split path): systems beyond that are refused up front.
   */
  private checkDriverLimits(): void {
    const problems: string[] = [];
    let splitFrontends = 0;
    this.o.config.guests.forEach((g, index) => {
      const core = this.o.guests[index]!.coreIndex;
      if (g['io-path'] === 'in-context' && core >= HV_MAX_CORES) {
        problems.push(`${this.o.config.source}: guests[${index}].core: the in-context path runs on cores 0-${HV_MAX_CORES - 1} (the driver VM has ${HV_MAX_CORES} call records), guest ${g.name} is on core ${core}`);
      }
      if (g['io-path'] === 'split' && ++splitFrontends > HV_MAX_FRONTENDS) {
        problems.push(`${this.o.config.source}: guests[${index}].io-path: the driver VM serves at most ${HV_MAX_FRONTENDS} split-path guests, guest ${g.name} is number ${splitFrontends}`);
      }
    });
    if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  }

  /**
   * Wires the I/O of a guest added to the running system, on lane `lane` (its console channel and
   * emulated-path slot): its disk becomes a new unit of the block controller. The split path keeps
   * per-frontend state in the driver VM that is set up at boot, so it cannot be added.
   */
  addGuest(vm: Vm, guest: GuestEntry, lane: number): void {
    const path = guest['io-path'];
    const channel = this.o.guests.length + lane;
    if (!path || path === 'split') throw new UsageError(`guest ${vm.name}: only the in-context and emulated paths can be added to a running system`);
    if (this.channels[channel] !== undefined || lane < 0 || channel >= this.channels.length) throw new InternalError(`I/O lane ${lane} is not free`);
    const image = guest.disk === undefined ? undefined : openDisk({ ...guest, disk: guest.disk });
    let disk: BlockImage | undefined;
    try {
      disk = image && this.diskCache.wrap([image]).at(-1);
      const unit = disk && this.platform.blockController.addUnit(disk);
      this.channels[channel] = vm;
      this.guests.push(this.wireGuest(vm, channel, path, disk, unit, channel));
    } catch (error) {
      // Nothing of a guest that failed to wire stays: its lane is free, its disk closed and no longer served.
      this.channels[channel] = undefined;
      if (disk) this.diskCache.release(disk);
      else image?.close();
      throw error;
    }
  }

  /** Ends an added guest's I/O (it stopped): its path and disk close, its lane is free again. */
  releaseGuest(vm: Vm): void {
    const g = this.guests.find((x) => x.vm === vm);
    const channel = this.channels.indexOf(vm);
    if (!g || channel < this.o.guests.length) return;
    g.path.close();
    if (g.disk) this.diskCache.release(g.disk);
    this.channels[channel] = undefined;
  }

  /** A core switched to the driver VM (a world switch the split path causes). */
  worldSwitchToDriver(): void {
    this.split?.worldSwitch();
  }

  /** The guests' disks: the image each one writes (the top of its chain). */
  disks(): Array<{ readonly guest: string; readonly image: BlockImage }> {
    return this.guests.flatMap((g) => (g.disk ? [{ guest: g.vm.name, image: g.disk instanceof CachedDisk ? g.disk.top : g.disk }] : []));
  }

  /** Transports, trackers, paths, the driver's hypercall state, the physical devices and the block cache. */
  saveState(): IoSystemState {
    return {
      guests: this.guests.map((g) => ({ name: g.vm.name, transports: g.transports.map((t) => t.saveState()), tracker: g.tracker.saveState(), path: g.path.saveState() })),
      split: this.split?.saveState(),
      blockController: this.platform.blockController.saveState(),
      consoleUart: this.platform.consoleUart.saveState(),
      cache: this.diskCache.cache?.saveState(this.imageNames()),
    };
  }

  /** Puts back a saved state into the I/O system of a system booted from the same configuration. */
  restoreState(s: IoSystemState): void {
    const transports = new Map(this.guests.flatMap((g) => g.transports.map((t) => [t.name, t] as const)));
    const transport = (name: string) => transports.get(name) ?? fail(`transport ${name}`);
    for (const saved of s.guests) {
      const g = this.guests.find((x) => x.vm.name === saved.name) ?? fail(`the I/O of guest ${saved.name}`);
      g.transports.forEach((t, i) => t.restoreState(saved.transports[i]));
      g.tracker.restoreState(saved.tracker);
      g.path.restoreState(saved.path, transport);
    }
    if (s.split) this.split?.restoreState(s.split, transport);
    this.platform.blockController.restoreState(s.blockController);
    this.platform.consoleUart.restoreState(s.consoleUart);
    if (s.cache) this.diskCache.cache?.restoreState(s.cache, new Map([...this.imageNames()].map(([image, name]) => [name, image])));
  }

  /** Every image of every guest's chain, named by guest and depth (`a:0` is guest a's top). */
  private imageNames(): Map<BlockImage, string> {
    const names = new Map<BlockImage, string>();
    for (const { guest, image } of this.disks()) {
      let depth = 0;
      for (let i: BlockImage | null = image; i !== null; i = i.backing) names.set(i, `${guest}:${depth++}`);
    }
    return names;
  }

  /** What `vm`'s I/O did (undefined for a guest without an io-path). */
  report(vm: Vm): GuestIoReport | undefined {
    const g = this.guests.find((x) => x.vm === vm);
    return g && { path: g.path.name, ...g.tracker.totals };
  }

  /** Writes back every disk's cached blocks and flushes its image (the disks stay open). */
  flushDisks(): void {
    this.diskCache.flush();
  }

  /**
   * Releases everything, disks first (their data and metadata matter most), then the paths'
   * engines and the disk trace; a failing step does not stop the others.
   */
  close(): void {
    runAll([() => this.diskCache.close(), ...this.guests.map((g) => () => g.path.close()), () => this.diskTrace?.close(), () => this.platform.close()]);
  }

  private recordDisks(file: string, disks: ReadonlyArray<BlockImage | undefined>): DiskTraceRecorder {
    const units = disks.flatMap((image, i) => (image ? [{ guest: this.o.guests[i]!.name, image }] : []));
    if (units.length === 0) throw new UsageError(`--disk-trace ${file}: no guest has a disk`);
    const recorder = new DiskTraceRecorder(file, units, this.o.guests[0]!.config.board.clockHz);
    recorder.attach(this.platform.blockController);
    return recorder;
  }

  private wireGuest(vm: Vm, index: number, pathName: IoPathName, disk: BlockImage | undefined, unit: number | undefined, frontend: number): GuestIo {
    const tracker = new IoTracker(this.o.recorder, vm.name, pathName, () => vm.coreIndex, this.o.observer?.(vm));
    const capacity = disk ? disk.size / 512 : 0;
    const path = this.createPath(pathName, vm, tracker, index, frontend, unit ?? 0, capacity);
    const transports: VirtioTransport[] = [];
    const attach = (base: number, irq: number, transport: VirtioTransport) => {
      vm.addDevice(base, transport);
      transports.push(transport);
      void irq;
    };
    const events = (irq: number) => ({
      notify: (t: VirtioTransport, q: number) => path.notify(t, q, trapOf(vm)),
      reset: (t: VirtioTransport) => path.reset(t),
      irq: (high: boolean) => vm.cpu.setIrq(irq, high),
      access: () => tracker.trap(),
    });
    if (disk) attach(HV_VIRTIO_BLK_BASE, HV_VIRTIO_BLK_IRQ, new VirtioTransport(`${vm.name}.virtio-blk`, virtioBlockType(capacity), events(HV_VIRTIO_BLK_IRQ)));
    attach(HV_VIRTIO_CONSOLE_BASE, HV_VIRTIO_CONSOLE_IRQ, new VirtioTransport(`${vm.name}.virtio-console`, virtioConsoleType(), events(HV_VIRTIO_CONSOLE_IRQ)));
    return { vm, path, tracker, transports, unit, disk };
  }

  private createPath(name: IoPathName, vm: Vm, tracker: IoTracker, index: number, frontend: number, unit: number, capacity: number): IoPath {
    const common = { vm, tracker, costs: this.o.costs, unit, capacity, frontend, channel: index };
    if (name === 'emulated') {
      return new EmulatedPath({
        ...common,
        blockController: this.platform.blockController,
        slot: this.platform.emulatedSlot(index),
        consoleWrite: (bytes) => bytes.forEach((b) => vm.console.write(b)),
      });
    }
    const driver = this.driver;
    if (!driver || !this.split) throw new ConfigError(`guest ${vm.name}: the ${name} path needs io.driver-vm`);
    if (name === 'in-context') return new InContextPath({ ...common, driver, arch: this.o.arch });
    return new SplitPath({ ...common, driver, hypercalls: this.split });
  }
}

/** The MMIO trap that carries a notification (transports are only reached through traps). */
function trapOf(vm: Vm) {
  const trap = vm.trapInProgress;
  if (!trap) throw new InternalError(`${vm.name}: a queue notification outside an MMIO trap`);
  return trap;
}

function cacheOptions(config: SystemConfig, timing: DiskTiming): DiskCacheOptions {
  const c = config.io?.cache ?? { policy: 'layered', size: 4 << 20, block: 4096, write: 'through' };
  return { policy: c.policy, size: c.size, blockSize: c.block, writeMode: c.write === 'back' ? 'write-back' : 'write-through', timing };
}

function openDisk(g: GuestEntry & { disk: string }, overlay?: Uint8Array): BlockImage {
  return g['disk-snapshot'] ? openSnapshot(g.disk, g.name, g['disk-format'], undefined, overlay) : openImage(g.disk, { format: g['disk-format'], owner: `guest "${g.name}"` });
}

function openDisks(config: SystemConfig, overlays?: ReadonlyMap<string, Uint8Array>): Array<BlockImage | undefined> {
  const opened: BlockImage[] = [];
  try {
    return config.guests.map((g) => {
      if (!g.disk) return undefined;
      const image = openDisk({ ...g, disk: g.disk }, overlays?.get(g.name));
      opened.push(image);
      return image;
    });
  } catch (error) {
    for (const image of opened) image.close();
    throw error;
  }
}

function diskTiming(config: DiskTimingConfig): DiskTiming {
  if (typeof config === 'string') return DISK_TIMINGS[config]!;
  return customDiskTiming(DISK_TIMINGS[config.base]!, {
    commandCycles: config['command-cycles'],
    perSectorCycles: config['per-sector-cycles'],
    seekCycles: config['seek-cycles'],
  });
}

function fail(what: string): never {
  throw new InternalError(`checkpoint restore: the restored system has no ${what}`);
}
