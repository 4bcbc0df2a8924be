/**
 * The compiled CLI (dist/, scripts/build.mjs): bin/hv.js never runs a build that does not match
 * the sources. When a source's size or time differs from the build's record, its contents are
 * hashed; a build whose hash does not match, or that another format of the build made, is rebuilt
 * before it runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, runHv } from '../helpers/hv-cli.ts';

const INFO = join(ROOT, 'dist', 'build-info.json');

it('rebuilds dist/ when its recorded source hash does not match, then runs', () => {
  expect(runHv(['--help']).status).toBe(0);
  const info = JSON.parse(readFileSync(INFO, 'utf8')) as { hash: string; inputs: string[]; stamp: string[] };
  expect(info.inputs).toContain('hv/cli/main.ts');
  expect(info.inputs).toContain('hv/unicorn/engine.ts');
  // As if the sources had changed since the build: other times, and another hash.
  writeFileSync(INFO, JSON.stringify({ ...info, hash: 'stale', stamp: info.stamp.map(() => '0:0') }));
  const r = runHv(['--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Usage: hv/);
  expect((JSON.parse(readFileSync(INFO, 'utf8')) as { hash: string }).hash).toBe(info.hash);
});

it('rebuilds dist/ made by another version of the build (its format or build script), even when every source is as recorded', () => {
  expect(runHv(['--help']).status).toBe(0);
  const info = JSON.parse(readFileSync(INFO, 'utf8')) as { format: number; hash: string; inputs: string[]; stamp: string[] };
  expect(info.inputs).toEqual(expect.arrayContaining(['scripts/build-lib.mjs', 'scripts/build-check.cjs']));
  // The stamps still match the sources: only the format says the build is of another kind.
  writeFileSync(INFO, JSON.stringify({ ...info, format: info.format - 1 }));
  expect(runHv(['--help']).status).toBe(0);
  expect((JSON.parse(readFileSync(INFO, 'utf8')) as { format: number }).format).toBe(info.format);
});

it('compiles the CLI to ASCII only (scripts/cli-loader.cjs reads dist/hv.cjs as latin1)', () => {
  expect(runHv(['--version']).status).toBe(0);
  const bytes = readFileSync(join(ROOT, 'dist', 'hv.cjs'));
  expect(bytes.length).toBeGreaterThan(0);
  expect(bytes.findIndex((b) => b >= 0x80)).toBe(-1);
});

/** The CLI with every command (dist/hv.cjs) on `args`, as bin/hv.js would run it without hv-run.cjs. */
function runFullCli(args: readonly string[]) {
  const script = "const { loadCli } = require('./scripts/cli-loader.cjs'); const args = process.argv.slice(1); loadCli(require('node:path').resolve('dist/hv.cjs'), args).main(args).then((s) => { process.exitCode = s; });";
  return spawnSync(process.execPath, ['-e', script, ...args], { cwd: ROOT, encoding: 'utf8' });
}

it('runs `hv run` from a compiled CLI of its own that behaves as the one with every command', () => {
  expect(runHv(['--version']).status).toBe(0);
  const info = JSON.parse(readFileSync(INFO, 'utf8')) as { inputs: string[] };
  expect(info.inputs).toContain('hv/cli/main-run.ts');
  for (const args of [['run', '--help'], ['run', '--no-such-option'], ['run', 'firmware/build/hello.elf', '--cores', '0']]) {
    const own = runHv(args);
    const full = runFullCli(args);
    expect({ status: own.status, stdout: own.stdout, stderr: own.stderr }).toEqual({ status: full.status, stdout: full.stdout, stderr: full.stderr });
  }
  expect(runHv(['run', 'firmware/build/hello.elf']).stdout).toContain('hello: done');
});
