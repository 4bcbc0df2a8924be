/**
 * The README's library example (examples/library.mjs, the same code as in README.md) runs with
 * plain `node`: `import { Session } from 'hvlab'` loads the compiled library from dist/ through
 * package.json's `exports`, with no TypeScript loader. It boots guests/demo.yaml, runs it in two
 * steps and prints the stats.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: an ES module of the build scripts, without type declarations
import { buildIfStale } from '../../scripts/build-lib.mjs';
import { REPO_ROOT } from '../helpers/run-system.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'library.mjs');
let dir = '';

beforeAll(async () => {
  await buildIfStale();
  // The example names guests/demo.yaml relative to where it runs: a directory of its own here.
  dir = mkdtempSync(join(tmpdir(), 'hvlab-library-'));
  symlinkSync(join(REPO_ROOT, 'guests'), join(dir, 'guests'));
  symlinkSync(join(REPO_ROOT, 'firmware'), join(dir, 'firmware'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the library example', () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(EXAMPLE, 'utf8')}\`\`\``);
  });

  it('runs with plain node: two steps, then the stats of every guest, and a trace', () => {
    const r = spawnSync(process.execPath, [EXAMPLE], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('until-cycles 15');
    expect(lines.slice(1).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['hello halted', 'tasks halted', 'fault faulted', 'compute halted']);
    expect(existsSync(join(dir, 'demo-trace.json'))).toBe(true);
    const trace = JSON.parse(readFileSync(join(dir, 'demo-trace.json'), 'utf8')) as { traceEvents: unknown[] };
    expect(trace.traceEvents.length).toBeGreaterThan(1000);
  }, 120_000);

  it("shows an error thrown in the library at a readable line, and with source maps at hvlab's own source", () => {
    // Run where guests/demo.yaml does not exist: the library throws its ConfigError.
    const empty = mkdtempSync(join(tmpdir(), 'hvlab-library-empty-'));
    try {
      const r = spawnSync(process.execPath, ['--enable-source-maps', EXAMPLE], { cwd: empty, encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('ConfigError: guests/demo.yaml: cannot read system file');
      expect(r.stderr).toMatch(/at \w+ \(.*hv\/[\w/-]+\.ts:\d+:\d+\)/);
      // No line of the report is a whole minified bundle.
      expect(Math.max(...r.stderr.split('\n').map((l) => l.length))).toBeLessThan(500);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 120_000);
});
