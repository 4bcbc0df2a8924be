/**
 * The folders show the architecture, and dependencies point one way:
 *   cli → experiments → (cluster, debug) → system → (core, io, sched, storage, trace)
 *       → (arch, trap, devices, time) → unicorn
 * Every import between folders (type-only imports included) must go to a lower layer, or to a
 * folder of the same layer without closing a cycle. A new folder must be given a layer here.
 * Within folders, no two files import values from each other (directly or around a loop).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-system.ts';

const LAYERS: Record<string, number> = {
  'hv/unicorn': 0,
  'hv/errors.ts': 0,
  'hv/format.ts': 0,
  'hv/cleanup.ts': 0,
  'hv/input-file.ts': 0,
  'hv/yaml-file.ts': 0,
  'hv/object-state.ts': 0,
  'hv/sparse-bytes.ts': 0,
  'hv/lazy-builtins.ts': 0,
  'hv/schema-messages.ts': 0,
  'hv/statistics.ts': 0,
  'hv/svg-chart.ts': 0,
  'hv/arch': 1,
  'hv/trap': 1,
  devices: 1,
  'hv/time': 1,
  'hv/core': 2,
  'hv/io': 2,
  'hv/sched': 2,
  'hv/storage': 2,
  'hv/trace': 2,
  'hv/system': 3,
  'hv/cluster': 4,
  'hv/debug': 4,
  'hv/experiments': 5,
  'hv/cli': 6,
  'hv/index.ts': 6,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder (layer unit) of a file: hv/<folder>, devices, or a file directly in hv/. */
function unit(file: string): string {
  const parts = relative(REPO_ROOT, file).split('/');
  if (parts[0] === 'devices') return 'devices';
  return parts.length === 2 ? `hv/${parts[1]}` : `hv/${parts[1]}`;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

function edges(): Array<{ from: string; to: string; file: string }> {
  const files = [...sources(join(REPO_ROOT, 'hv')), ...sources(join(REPO_ROOT, 'devices'))];
  return files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(IMPORT)].map((m) => ({ from: unit(file), to: unit(resolve(dirname(file), m[1] ?? m[2]!)), file: relative(REPO_ROOT, file) }));
  }).filter((e) => e.from !== e.to);
}

/**
 * File-level edges of imports that bring in values (an import of types only is erased and cannot
 * close a cycle at run time).
 */
function valueEdges(): Array<{ from: string; to: string }> {
  const files = [...sources(join(REPO_ROOT, 'hv')), ...sources(join(REPO_ROOT, 'devices'))];
  const STATEMENT = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)from\s+'(\.[^']+)'/g;
  return files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(STATEMENT)]
      .filter((m) => !m[2] && !typesOnly(m[3]!))
      .map((m) => ({ from: relative(REPO_ROOT, file), to: relative(REPO_ROOT, resolve(dirname(file), m[4]!)) })),
  );
}

/** `{ type A, type B }` (and no default import beside it). */
function typesOnly(clause: string): boolean {
  const braces = /^\s*\{([^}]*)\}\s*$/.exec(clause);
  if (!braces) return false;
  const names = braces[1]!.split(',').map((n) => n.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** Folder-level cycles among `edges`, as "a -> b -> a". */
function cycles(list: ReadonlyArray<{ from: string; to: string }>): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of list) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  const found: string[] = [];
  const visit = (node: string, path: string[]) => {
    for (const to of next.get(node) ?? []) {
      if (path.includes(to)) found.push([...path.slice(path.indexOf(to)), to].join(' -> '));
      else visit(to, [...path, to]);
    }
  };
  for (const node of next.keys()) visit(node, [node]);
  return [...new Set(found)];
}

describe('folder dependencies', () => {
  const all = edges();

  it('finds imports to check (the scan works)', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((e) => e.from === 'hv/system' && e.to === 'hv/core')).toBe(true);
  });

  it('every folder has a layer', () => {
    const unknown = [...new Set(all.flatMap((e) => [e.from, e.to]))].filter((u) => LAYERS[u] === undefined);
    expect(unknown).toEqual([]);
  });

  it('no import goes up a layer', () => {
    const upward = all.filter((e) => LAYERS[e.to]! > LAYERS[e.from]!).map((e) => `${e.file} imports ${e.to} (layer ${LAYERS[e.to]}) from layer ${LAYERS[e.from]}`);
    expect(upward).toEqual([]);
  });

  it('no cycle between folders', () => {
    expect(cycles(all)).toEqual([]);
  });

  it('core and I/O code never reach into an architecture or Unicorn constants', () => {
    const reaching = all.filter((e) => ['hv/core', 'hv/io'].includes(e.from)).filter((e) => /arch\/armv7m|unicorn\/constants/.test(readFileSync(join(REPO_ROOT, e.file), 'utf8')));
    expect(reaching.map((e) => e.file)).toEqual([]);
  });

  it('no file imports a value from a file that imports one back (directly or around a loop)', () => {
    expect(cycles(valueEdges())).toEqual([]);
  });

  it('detects a cycle when there is one (the checker itself)', () => {
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }])).toContain('a -> b -> c -> a');
  });
});
