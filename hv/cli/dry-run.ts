/**
 * `hv run --dry-run`: the system as it would run, without running it. The output is a system
 * file (YAML) with every default filled in, paths absolute and each guest's core resolved, so
 * it can be saved and run as it is, followed by one comment line per image (format, entry point,
 * segments, symbols). Images are read and checked against the guests' memory, so a dry run
 * reports the same input errors a run would.
 */
import { stringify } from 'yaml';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { type GuestImage, checkPlacement, readImage } from '../core/image.ts';
import type { SystemConfig } from '../core/system-config.ts';
import { hex } from '../format.ts';

export function dryRunText(config: SystemConfig, coreOverride: number | undefined): string {
  const cores = coreOverride ?? config.cores;
  const board = BOARDS[config.board]!;
  const sizeOf = (role: 'code' | 'sram') => board.memory.find((m) => m.role === role)!.size;
  const guests = config.guests.map((g, i) => ({
    ...g,
    core: Math.min(g.core ?? i % cores, cores - 1),
    'code-size': g['code-size'] ?? sizeOf('code'),
    'sram-size': g['sram-size'] ?? sizeOf('sram'),
  }));
  const driverVm = config.io?.['driver-vm'];
  const io = config.io && { ...config.io, 'driver-vm': driverVm && withoutImageName(driverVm) };
  const resolved = { ...withoutSource(config), ...(io ? { io } : {}), cores, guests: guests.map(applicable) };
  const notes = guests.map((g) => `# ${g.name}: ${imageSummary(readChecked(g, board))}`);
  const driver = config.io?.['driver-vm'];
  if (driver) notes.push(`# ${driver.name}: ${imageSummary(readImage(driver.image))}`);
  const header = `# hv run --dry-run: ${config.source} as it would run (board ${board.name}: ${board.cpu}, ${board.clockHz / 1e6} MHz)`;
  return `${header}\n${stringify(resolved, { lineWidth: 0 })}${notes.join('\n')}\n`;
}

/** Without the defaults of settings that do not apply (a disk's snapshot mode without a disk), so the output validates. */
function applicable<G extends SystemConfig['guests'][number]>(g: G): Partial<G> {
  // imageName is how the user spelled the path (for stats), not a system-file field.
  const { 'disk-snapshot': snapshot, 'gdb-wait': wait, imageName: _imageName, ...rest } = g;
  // A fixed order for the placement fields, so that the output of its own output is the same.
  const placement = { name: g.name, image: g.image, format: g.format, 'load-address': g['load-address'], core: g.core, 'code-size': g['code-size'], 'sram-size': g['sram-size'] };
  return { ...placement, ...rest, ...(g.disk !== undefined ? { 'disk-snapshot': snapshot } : {}), ...(g.gdb !== undefined ? { 'gdb-wait': wait } : {}) } as Partial<G>;
}

function withoutImageName<T extends { imageName?: string }>(entry: T): Omit<T, 'imageName'> {
  const { imageName: _imageName, ...rest } = entry;
  return rest;
}

function withoutSource(config: SystemConfig): Omit<SystemConfig, 'source'> {
  const { source: _source, ...rest } = config;
  return rest;
}

function readChecked(g: SystemConfig['guests'][number] & { 'code-size': number; 'sram-size': number }, board: (typeof BOARDS)[string]): GuestImage {
  const image = readImage(g.image, { format: g.format, loadAddress: g['load-address'] });
  const memory = board.memory.map((m) => ({ name: m.name, base: m.base, size: m.role ? g[`${m.role}-size`] : m.size }));
  checkPlacement(image, memory);
  return image;
}

function imageSummary(image: GuestImage): string {
  const bytes = image.segments.reduce((a, s) => a + s.memorySize, 0);
  const symbols = image.symbols.length > 0 ? `, ${image.symbols.length} symbols` : ', no symbols';
  return `${image.format}, entry ${hex(image.entry, 8)}, ${image.segments.length} segments (${bytes} bytes)${symbols}`;
}
