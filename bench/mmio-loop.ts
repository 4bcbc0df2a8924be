/**
 * Raw guest images for the trap benchmark: a vector table and a two-instruction loop that loads
 * either from a device register (one MMIO trap per iteration) or from SRAM (no trap). The
 * difference in host time per iteration is the cost of one trap round trip.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SP = 0x20010000;
const RESET = 0x40;

/**
 *   movw r1, #lo ; movt r1, #hi   (address to load from)
 * 1: ldr r0, [r1]
 *   b 1b
 */
function loopImage(address: number): Buffer {
  const image = Buffer.alloc(RESET + 16);
  image.writeUInt32LE(SP, 0);
  image.writeUInt32LE(RESET | 1, 4);
  const words = [...movw(1, address & 0xffff), ...movt(1, address >>> 16), 0x6808, 0xe7fd];
  words.forEach((w, i) => image.writeUInt16LE(w, RESET + 2 * i));
  return image;
}

function movw(rd: number, imm16: number): number[] {
  return [0xf240 | ((imm16 >> 11) & 1) << 10 | (imm16 >> 12), ((imm16 >> 8) & 7) << 12 | (rd << 8) | (imm16 & 0xff)];
}

function movt(rd: number, imm16: number): number[] {
  return [0xf2c0 | ((imm16 >> 11) & 1) << 10 | (imm16 >> 12), ((imm16 >> 8) & 7) << 12 | (rd << 8) | (imm16 & 0xff)];
}

/** Writes the two images into `dir`; returns their paths. */
export function writeLoopImages(dir: string): { mmio: string; ram: string } {
  const mmio = join(dir, 'mmio-loop.bin');
  const ram = join(dir, 'ram-loop.bin');
  writeFileSync(mmio, loopImage(0x40004004));
  writeFileSync(ram, loopImage(0x20000000));
  return { mmio, ram };
}
