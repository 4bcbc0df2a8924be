import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSystemFile, parseSize, singleImageSystem, validateSystem } from '../../hv/core/system-config.ts';
import { DEFAULT_CONSOLE_LIMIT } from '../../hv/core/guest-console.ts';
import { ConfigError } from '../../hv/errors.ts';
import { makeTempDir } from '../helpers/hv-cli.ts';
import { thrown } from '../helpers/thrown.ts';

const tmp = makeTempDir('hvlab-config-');
afterAll(() => tmp.remove());

function writeYaml(relative: string, text: string): string {
  const file = join(tmp.dir, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  return thrown(fn, ConfigError, 'HV_CONFIG');
}

/** The error's lines, each checked to start with the file name. */
function problemLines(error: ConfigError, file: string): string[] {
  const lines = error.message.split('\n');
  for (const line of lines) expect(line.startsWith(`${file}: `), line).toBe(true);
  return lines;
}

describe('system file defaults and paths', () => {
  it('fills in cores 1, board mps2-an386, slice-cycles 25000 and per-guest defaults', () => {
    const file = writeYaml('defaults.yaml', 'guests:\n  - name: hello\n    image: hello.elf\n');
    const config = loadSystemFile(file);
    expect(config.cores).toBe(1);
    expect(config.board).toBe('mps2-an386');
    expect(config['slice-cycles']).toBe(25_000);
    expect(config.source).toBe(file);
    expect(config.guests).toHaveLength(1);
    const g = config.guests[0]!;
    expect(g.name).toBe('hello');
    expect(g.semihosting).toBe(true);
    expect(g['console-limit']).toBe(DEFAULT_CONSOLE_LIMIT);
    expect(g.core).toBeUndefined();
    expect(g['code-size']).toBeUndefined();
    expect(g.format).toBeUndefined();
  });

  it('keeps explicit values', () => {
    const file = writeYaml(
      'explicit.yaml',
      [
        'cores: 3',
        'slice-cycles: 1000',
        'guests:',
        '  - name: a',
        '    image: a.bin',
        '    format: bin',
        '    load-address: 0x1000',
        '    core: 2',
        '    semihosting: false',
        '    console-limit: 99',
      ].join('\n'),
    );
    const config = loadSystemFile(file);
    expect(config.cores).toBe(3);
    expect(config['slice-cycles']).toBe(1000);
    expect(config.guests[0]).toMatchObject({ format: 'bin', 'load-address': 0x1000, core: 2, semihosting: false, 'console-limit': 99 });
  });

  it('resolves image paths relative to the system file, not the working directory', () => {
    const file = writeYaml(
      'systems/nested/sys.yaml',
      'guests:\n  - name: a\n    image: ../../fw/a.elf\n  - name: b\n    image: b.elf\n  - name: c\n    image: /abs/c.elf\n',
    );
    const config = loadSystemFile(file);
    expect(config.guests.map((g) => g.image)).toEqual([join(tmp.dir, 'fw/a.elf'), join(tmp.dir, 'systems/nested/b.elf'), '/abs/c.elf']);
  });

  it('validateSystem anchors relative paths at the given file name', () => {
    const config = validateSystem({ guests: [{ name: 'x', image: 'img/x.elf' }] }, '/some/where/sys.yaml');
    expect(config.guests[0]!.image).toBe('/some/where/img/x.elf');
    expect(config.source).toBe('/some/where/sys.yaml');
  });

  it('singleImageSystem names the guest after the image and uses the defaults', () => {
    const config = singleImageSystem('firmware/build/hello.elf');
    expect(config.source).toBe('<command line>');
    expect(config.cores).toBe(1);
    expect(config.board).toBe('mps2-an386');
    expect(config['slice-cycles']).toBe(25_000);
    expect(config.guests).toHaveLength(1);
    expect(config.guests[0]!.name).toBe('hello');
    expect(config.guests[0]!.image).toBe(resolve('firmware/build/hello.elf'));
    expect(config.guests[0]!.semihosting).toBe(true);
  });

  it('singleImageSystem makes a valid name out of any file name', () => {
    expect(singleImageSystem('/tmp/my image!.bin').guests[0]!.name).toBe('my_image_');
    const long = singleImageSystem(`/tmp/${'x'.repeat(50)}.elf`).guests[0]!.name;
    expect(long).toBe('x'.repeat(32));
  });
});

describe('sizes', () => {
  function sizes(value: unknown): number | undefined {
    return validateSystem({ guests: [{ name: 'a', image: 'a.elf', 'code-size': value, 'sram-size': value }] }, 'sys.yaml').guests[0]![
      'code-size'
    ];
  }

  it('accepts "64KiB", 65536, "1MiB", "4 MiB" and "2M"', () => {
    expect(sizes('64KiB')).toBe(65536);
    expect(sizes(65536)).toBe(65536);
    expect(sizes('1MiB')).toBe(1 << 20);
    expect(sizes('4 MiB')).toBe(4 << 20);
    expect(sizes('2M')).toBe(2 << 20);
    expect(sizes('16kb')).toBe(16 * 1024);
  });

  it('rejects 1000 (not a multiple of 1 KiB) and "12 parsecs" (unknown unit)', () => {
    for (const bad of [1000, '12 parsecs', 0, -1024, '1.5MiB', 'lots']) {
      const e = configError(() => sizes(bad));
      expect(e.message).toContain('sys.yaml: guests[0].code-size:');
      expect(e.message).toContain('sys.yaml: guests[0].sram-size:');
    }
    const e = configError(() => sizes(1000));
    expect(e.message).toMatch(/multiple of 1 KiB/);
  });

  it('parseSize reads units case-insensitively and refuses unknown ones', () => {
    expect(parseSize('64KiB')).toBe(65536);
    expect(parseSize(' 3 kib ')).toBe(3072);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseSize('1.5MiB')).toBeUndefined();
    expect(parseSize('')).toBeUndefined();
  });
});

describe('invalid system files', () => {
  it('reports every bad field at once, with file, field path and what was expected', () => {
    const file = writeYaml(
      'bad.yaml',
      [
        'cores: two',
        'bogus: 1',
        'guests:',
        '  - name: "bad name!"',
        '    image: 42',
        '    extra: yes',
        '    code-size: 1000',
        '    sram-size: "12 parsecs"',
        '  - name: ok',
        '    image: ""',
        '    core: -1',
        '    semihosting: "yes"',
      ].join('\n'),
    );
    const e = configError(() => loadSystemFile(file));
    const lines = problemLines(e, file);
    const find = (path: string) => lines.filter((l) => l.startsWith(`${file}: ${path}: `));
    expect(find('cores')[0]).toMatch(/expected number, received string/);
    expect(find('(top level)')[0]).toContain('unknown field "bogus"');
    expect(find('guests[0].name')[0]).toMatch(/letters, digits/);
    expect(find('guests[0].image')[0]).toMatch(/expected string, received number/);
    expect(find('guests[0]')[0]).toContain('unknown field "extra"');
    expect(find('guests[0].code-size')[0]).toMatch(/multiple of 1 KiB/);
    expect(find('guests[0].sram-size')[0]).toMatch(/multiple of 1 KiB/);
    expect(find('guests[1].image')[0]).toMatch(/>=1 character/);
    expect(find('guests[1].core')[0]).toMatch(/>=0/);
    expect(find('guests[1].semihosting')[0]).toMatch(/expected boolean/);
    expect(lines).toHaveLength(10);
  });

  it('reports unknown keys at top level and in a guest, listing all of them', () => {
    const e = configError(() => validateSystem({ guests: [{ name: 'a', image: 'a', colour: 1, size: 2 }], extra: true }, 'f.yaml'));
    expect(e.message).toContain('f.yaml: (top level): unknown field "extra"');
    expect(e.message).toContain('f.yaml: guests[0]: unknown fields "colour", "size"');
  });

  it('rejects an empty guests list', () => {
    const file = writeYaml('empty.yaml', 'cores: 1\nguests: []\n');
    const e = configError(() => loadSystemFile(file));
    expect(e.message).toBe(`${file}: guests: at least one guest`);
  });

  it('rejects a missing guests list and a non-mapping document', () => {
    const empty = writeYaml('blank.yaml', '');
    expect(configError(() => loadSystemFile(empty)).message).toMatch(new RegExp(`^${escape(empty)}: guests: expected array`));
    const list = writeYaml('list.yaml', '- a\n- b\n');
    expect(configError(() => loadSystemFile(list)).message).toContain(`${list}: (top level): expected object`);
  });

  it('rejects duplicate names and a core at or above cores, all at once', () => {
    const file = writeYaml(
      'dup.yaml',
      'cores: 2\nguests:\n  - {name: a, image: a.elf, core: 2}\n  - {name: b, image: b.elf, core: 1}\n  - {name: a, image: c.elf, core: 7}\n',
    );
    const e = configError(() => loadSystemFile(file));
    const lines = problemLines(e, file);
    expect(lines).toContain(`${file}: guests[0].core: expected a core below cores (2), got 2`);
    expect(lines).toContain(`${file}: guests[2].name: expected a unique name, "a" is used twice`);
    expect(lines).toContain(`${file}: guests[2].core: expected a core below cores (2), got 7`);
    expect(lines).toHaveLength(3);
  });

  it('checks the default cores (1) against guest cores', () => {
    const e = configError(() => validateSystem({ guests: [{ name: 'a', image: 'a', core: 1 }] }, 's.yaml'));
    expect(e.message).toBe('s.yaml: guests[0].core: expected a core below cores (1), got 1');
  });

  it('rejects bad name characters and over-long names', () => {
    for (const name of ['has space', 'slash/name', '', 'x'.repeat(33), 'ünï']) {
      const e = configError(() => validateSystem({ guests: [{ name, image: 'a.elf' }] }, 's.yaml'));
      expect(e.message).toMatch(/^s\.yaml: guests\[0\]\.name: a name of 1-32 letters/);
    }
    expect(() => validateSystem({ guests: [{ name: 'A-z_0.9', image: 'a.elf' }] }, 's.yaml')).not.toThrow();
  });

  it('rejects out-of-range numbers: cores 0 and 65, slice-cycles below 100, an unknown board', () => {
    const e = configError(() => validateSystem({ cores: 0, 'slice-cycles': 99, board: 'mps3', guests: [{ name: 'a', image: 'a' }] }, 's.yaml'));
    expect(e.message).toMatch(/^s\.yaml: cores: /m);
    expect(e.message).toMatch(/^s\.yaml: slice-cycles: /m);
    expect(e.message).toMatch(/^s\.yaml: board: .*mps2-an386/m);
    expect(configError(() => validateSystem({ cores: 65, guests: [{ name: 'a', image: 'a' }] }, 's.yaml')).message).toMatch(/cores/);
  });

  it('reports type errors and semantic errors (duplicates, core >= cores) of one file together', () => {
    // One file, three problems: a wrong type in guests[1].image, a duplicate name and a core that
    // does not exist. "Every problem is reported at once" covers all three.
    const file = writeYaml('mixed.yaml', 'cores: 2\nguests:\n  - {name: a, image: a.elf, core: 5}\n  - {name: a, image: 42}\n');
    const e = configError(() => loadSystemFile(file));
    expect(e.message).toContain(`${file}: guests[1].image:`);
    expect(e.message).toContain(`${file}: guests[1].name: expected a unique name`);
    expect(e.message).toContain(`${file}: guests[0].core: expected a core below cores (2), got 5`);
  });

  it('reports a YAML syntax error as file:line:col', () => {
    const file = writeYaml('syntax.yaml', 'cores: 2\nguests:\n  - name: a\n    image: [unclosed\n');
    const e = configError(() => loadSystemFile(file));
    expect(e.message).toMatch(new RegExp(`${escape(file)}:\\d+:\\d+: `));
    const dup = writeYaml('dupkey.yaml', 'cores: 1\nguests:\n  - name: a\n    image: b\n    image: c\n');
    expect(configError(() => loadSystemFile(dup)).message).toContain(`${dup}:5:5: Map keys must be unique`);
    const tab = writeYaml('tab.yaml', 'cores: 1\nguests:\n  - name: a\n\timage: b\n');
    expect(configError(() => loadSystemFile(tab)).message).toContain(`${tab}:4:1: Tabs are not allowed`);
  });

  it('reports an unreadable system file', () => {
    const file = join(tmp.dir, 'missing.yaml');
    const e = configError(() => loadSystemFile(file));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/cannot read system file: ENOENT/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('io.disk-timing', () => {
  const base = { guests: [{ name: 'a', image: 'a.elf' }] };
  it('takes a preset name or a preset with replaced parameters', () => {
    expect(validateSystem({ ...base, io: { 'disk-timing': 'emmc' } }, 's.yaml').io?.['disk-timing']).toBe('emmc');
    const custom = validateSystem({ ...base, io: { 'disk-timing': { 'seek-cycles': 900 } } }, 's.yaml').io?.['disk-timing'];
    expect(custom).toEqual({ base: 'sd-spi', 'seek-cycles': 900 });
  });
  it('names the bad field', () => {
    const error = configError(() => validateSystem({ ...base, io: { 'disk-timing': { 'seek-cycle': 1 } } }, 's.yaml'));
    expect(error.message).toContain('io.disk-timing');
  });
});

describe('guest disk fields', () => {
  it('rejects disk-snapshot and disk-format on a guest without a disk', () => {
    const error = configError(() =>
      validateSystem({ guests: [{ name: 'a', image: 'a.elf', 'io-path': 'emulated', 'disk-snapshot': true, 'disk-format': 'raw' }] }, 's.yaml'),
    );
    const lines = problemLines(error, 's.yaml');
    expect(lines).toContain('s.yaml: guests[0].disk-snapshot: expected a disk for this guest to apply to');
    expect(lines).toContain('s.yaml: guests[0].disk-format: expected a disk for this guest to apply to');
  });
});
