/**
 * `hv costs` (child process): the cost table in force with the source of every entry and the
 * derived costs; cost files given with --costs or through a system file's `costs:` override
 * entries (and reach `hv run`); bad cost files are refused with exit status 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COSTS } from '../../hv/time/cost-model.ts';
import { FIRMWARE, makeTempDir, runHv } from '../helpers/hv-cli.ts';

interface Row {
  cells: string[];
}

/** The rows of a cli-table3 table with wrapped cells: each row's cells joined across its lines. */
function tableRows(text: string): Row[] {
  const rows: Row[] = [];
  let current: string[][] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('┌') || line.startsWith('├') || line.startsWith('└')) {
      if (current) rows.push({ cells: current.map((parts) => parts.filter(Boolean).join(' ')) });
      current = line.startsWith('└') ? undefined : [];
      continue;
    }
    if (!line.startsWith('│') || !current) continue;
    const cells = line.split('│').slice(1, -1).map((c) => c.trim());
    cells.forEach((c, i) => (current![i] ??= []).push(c));
  }
  return rows;
}

/** name → [cycles, source] of the cost table, and name → cycles of the derived table. */
function parseCosts(stdout: string): { costs: Map<string, [number, string]>; derived: Map<string, number> } {
  const rows = tableRows(stdout);
  const costs = new Map<string, [number, string]>();
  const derived = new Map<string, number>();
  let section: 'costs' | 'derived' | undefined;
  for (const { cells } of rows) {
    if (cells[0] === 'cost') section = 'costs';
    else if (cells[0] === 'derived') section = 'derived';
    else if (section === 'costs') costs.set(cells[0]!, [Number(cells[1]), cells[2]!]);
    else if (section === 'derived') derived.set(cells[0]!, Number(cells[1]));
  }
  return { costs, derived };
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('hvlab-costs-');
});
afterAll(() => tmp.remove());

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('hv costs', () => {
  it('prints every cost with its cycles and its source, then the derived costs', () => {
    const r = runHv(['costs']);
    expect(r.status).toBe(0);
    const { costs, derived } = parseCosts(r.stdout);
    expect([...costs.keys()]).toEqual(Object.keys(DEFAULT_COSTS));
    for (const [name, entry] of Object.entries(DEFAULT_COSTS)) {
      expect(costs.get(name)![0], name).toBe(entry.cycles);
      expect(squash(costs.get(name)![1]), name).toBe(squash(entry.source));
    }
    expect(Object.fromEntries(derived)).toEqual({
      'mmio trap round trip': 42,
      'hypercall round trip': 42,
      'context save or restore': 21,
      'vcpu (world) switch': 114,
      'driver window open/close': 8,
      'grant copy of 512 bytes': 318,
    });
  });

  describe('a cost file overriding two entries', () => {
    const overrides = 'hypercall: 99\ngrantCheck: { cycles: 7, source: "measured on the bench, 2026" }\n';

    function expectOverridden(r: ReturnType<typeof runHv>, costFile: string): void {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const { costs, derived } = parseCosts(r.stdout);
      expect(costs.get('hypercall')![0]).toBe(99);
      expect(squash(costs.get('hypercall')![1])).toContain(costFile.slice(-20));
      expect(costs.get('grantCheck')).toEqual([7, 'measured on the bench, 2026']);
      expect(costs.get('trapEntry')![0]).toBe(DEFAULT_COSTS.trapEntry.cycles);
      expect(squash(costs.get('trapEntry')![1])).toBe(squash(DEFAULT_COSTS.trapEntry.source));
      expect(derived.get('hypercall round trip')).toBe(12 + 99 + 10);
      expect(derived.get('grant copy of 512 bytes')).toBe(7 + 288);
      expect(derived.get('mmio trap round trip')).toBe(42);
    }

    it('is applied with --costs', () => {
      const costs = file('two.yaml', overrides);
      expectOverridden(runHv(['costs', '--costs', costs]), costs);
    });

    it("is applied through a system file's costs: (relative to the system file)", () => {
      const costs = file('sys-costs.yaml', overrides);
      const system = file('sys.yaml', `costs: sys-costs.yaml\nguests:\n  - name: hello\n    image: ${join(FIRMWARE, 'hello.elf')}\n`);
      expectOverridden(runHv(['costs', system]), costs);
    });

    it('a system file with costs: changes what hv run charges', () => {
      file('mmio-costs.yaml', 'trapEntry: 2\nmmioEmulation: 50\n');
      const system = file('mmio.yaml', `costs: mmio-costs.yaml\nguests:\n  - name: hello\n    image: ${join(FIRMWARE, 'hello.elf')}\n`);
      const stats = join(tmp.dir, 'mmio-stats.json');
      const r = runHv(['run', system, '--stats', stats]);
      expect(r.stderr).not.toMatch(/hv: /);
      expect(r.status).toBe(0);
      const events = JSON.parse(readFileSync(stats, 'utf8')).events;
      expect(events['trap.mmio']).toMatchObject({ min: 2 + 50 + 10, max: 2 + 50 + 10 });
    });
  });

  describe('bad cost files: exit 2, naming the file and the entry (and nothing else)', () => {
    function problems(stderr: string, costFile: string): string[] {
      return stderr.split('\n').filter((l) => l.includes(costFile));
    }

    it('an unknown cost name', () => {
      const costs = file('unknown.yaml', 'hypercall: 30\nwarpDrive: 5\n');
      const r = runHv(['costs', '--costs', costs]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = problems(r.stderr, costs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('warpDrive');
    });

    it('a negative value', () => {
      const costs = file('negative.yaml', 'exceptionEntry: 12\ntailChain: -6\n');
      const r = runHv(['costs', '--costs', costs]);
      expect(r.status).toBe(2);
      const lines = problems(r.stderr, costs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/tailChain/);
    });

    it('through a system file, the cost file is named too', () => {
      const costs = file('neg-sys-costs.yaml', 'hypercall: -1\n');
      const system = file('neg-sys.yaml', `costs: neg-sys-costs.yaml\nguests:\n  - name: hello\n    image: ${join(FIRMWARE, 'hello.elf')}\n`);
      const r = runHv(['costs', system]);
      expect(r.status).toBe(2);
      expect(problems(r.stderr, costs).join('\n')).toMatch(/hypercall/);
      expect(runHv(['run', system]).status).toBe(2);
    });
  });
});
