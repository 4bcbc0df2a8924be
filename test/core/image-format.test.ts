/**
 * The guest image rule: an ELF by its magic number; anything else only as a raw binary named
 * `.bin` or with `format: bin`; text, Intel HEX and S-record files, ELFs for other machines and
 * non-regular files are refused with what they are.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../../hv/core/image.ts';
import { ImageError } from '../../hv/errors.ts';
import { elfCopy, programHeaders, PHDR_SIZE } from '../helpers/elf-bytes.ts';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { thrown as thrownError } from '../helpers/thrown.ts';

const HELLO = join(FIRMWARE, 'hello.elf');
const tmp = makeTempDir('hvlab-image-format-');
afterAll(() => tmp.remove());

function tempFile(name: string, content: Uint8Array | string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, content);
  return file;
}

function message(fn: () => unknown): string {
  return thrownError(fn, ImageError, 'HV_IMAGE').message;
}

/** A Cortex-M vector table start: initial SP, then the reset vector with the Thumb bit. */
const RAW_CODE = Buffer.from([0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x00, 0xfe, 0xe7, 0xfe, 0xe7]);
const HEX = ':10000000001000200900000000000000000000003F\n:00000001FF\n';
const SREC = 'S00F000068656C6C6F202020202000003C\nS11300000010002009000000000000000000000082\nS9030000FC\n';

describe('which files boot as raw binaries', () => {
  it('a file without the ELF magic and without a .bin name is refused, saying how to load it raw', () => {
    const file = tempFile('firmware.img', RAW_CODE);
    expect(message(() => readImage(file))).toBe(
      `${file}: not an ELF file (no magic number 7f 45 4c 46); a raw binary needs a .bin name or format: bin`,
    );
  });

  it('the same bytes load as a raw binary when named .bin or with format: bin', () => {
    expect(readImage(tempFile('firmware.bin', RAW_CODE)).format).toBe('bin');
    expect(readImage(tempFile('firmware.BIN', RAW_CODE)).format).toBe('bin');
    expect(readImage(tempFile('firmware.raw', RAW_CODE), { format: 'bin' }).format).toBe('bin');
  });

  it('a README is refused as a text file, even when named .bin', () => {
    for (const name of ['README.md', 'readme.bin']) {
      const file = tempFile(name, '# My firmware\n\nBuild it with make.\n');
      expect(message(() => readImage(file))).toBe(`${file}: not a guest image: it looks like a text file, not an ELF or a binary`);
    }
  });

  it('an Intel HEX file is refused with the conversion to use, even when named .bin', () => {
    for (const name of ['fw.hex', 'fw.bin']) {
      const file = tempFile(name, HEX);
      const m = message(() => readImage(file));
      expect(m).toMatch(new RegExp(`^${file}: not a guest image: it looks like an Intel HEX file; convert it`));
      expect(m).toContain('arm-none-eabi-objcopy -O binary');
    }
  });

  it('a Motorola S-record file is refused', () => {
    const file = tempFile('fw.srec', SREC);
    expect(message(() => readImage(file))).toMatch(/it looks like a Motorola S-record file/);
  });

  it('format: bin is trusted: the user said it is a binary', () => {
    const file = tempFile('ascii.dat', 'ABCDEFGH');
    expect(readImage(file, { format: 'bin' }).segments[0]!.data.length).toBe(8);
  });

  it('text with UTF-8 is still text; a binary with bytes above 0x7f is not', () => {
    const text = tempFile('notes.txt', 'Grüße: µC firmware ✓\n');
    expect(message(() => readImage(text))).toMatch(/looks like a text file/);
    const binary = tempFile('data.bin', Buffer.from([0x00, 0x10, 0x00, 0x20, 0xff, 0xfe, 0x80, 0x81]));
    expect(readImage(binary).format).toBe('bin');
  });
});

describe('ELF files for something else', () => {
  it('an ELF for another machine names the machine', () => {
    const b = elfCopy(HELLO);
    b.writeUInt16LE(62, 18);
    const file = tempFile('amd64.elf', b);
    expect(message(() => readImage(file))).toBe(`${file}: wrong machine 62 (x86-64): an ELF for another architecture (need EM_ARM = 40)`);
  });

  it('a relocatable object is not an executable', () => {
    const b = elfCopy(HELLO);
    b.writeUInt16LE(1, 16);
    const file = tempFile('main.o', b);
    expect(message(() => readImage(file))).toBe(`${file}: ELF type 1 (relocatable object) is not an executable (need ET_EXEC = 2)`);
  });

  it('a dynamically linked program (PT_INTERP) is not bare-metal firmware', () => {
    const b = elfCopy(HELLO);
    const ph = programHeaders(b)[0]!;
    b.writeUInt32LE(3, b.readUInt32LE(28) + ph.index * PHDR_SIZE);
    const file = tempFile('linux.elf', b);
    expect(message(() => readImage(file))).toMatch(/a dynamically linked program \(it has an interpreter, PT_INTERP\)/);
  });
});

describe('files that are not regular files', () => {
  it('/dev/zero is refused at once instead of being read forever', () => {
    expect(message(() => readImage('/dev/zero'))).toBe('/dev/zero: cannot read image: not a regular file (a character device)');
    expect(message(() => readImage('/dev/zero', { format: 'bin' }))).toMatch(/not a regular file/);
  });

  it('a FIFO is refused without blocking on the open', () => {
    const fifo = join(tmp.dir, 'pipe.elf');
    execFileSync('mkfifo', [fifo]);
    expect(message(() => readImage(fifo))).toBe(`${fifo}: cannot read image: not a regular file (a FIFO)`);
  });
});

describe('the name an image is reported by', () => {
  it('is the name given, so that stats do not hold the checkout location', () => {
    const image = readImage(HELLO, { name: '../firmware/build/hello.elf' });
    expect(image.file).toBe('../firmware/build/hello.elf');
    expect(image.path).toBe(HELLO);
  });
});
