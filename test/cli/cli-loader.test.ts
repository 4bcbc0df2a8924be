/**
 * scripts/cli-loader.cjs: the V8 code cache of a sub-command is written by a run of that command
 * that did its work. A cache V8 accepts is never written again, so a first cache made by the
 * command's help, or by a run that refused its input, would hold little of the command's code
 * for good.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/hv-cli.ts';

interface LoadedCli {
  main(args: readonly string[]): Promise<number>;
  saveCache(status: number): void;
}
const { loadCli } = createRequire(import.meta.url)('../../scripts/cli-loader.cjs') as {
  loadCli(bundle: string, args: readonly string[]): LoadedCli;
};

let temp: ReturnType<typeof makeTempDir>;
let bundle: string;

beforeEach(() => {
  temp = makeTempDir('hvlab-loader-');
  bundle = join(temp.dir, 'hv.cjs');
  writeFileSync(bundle, 'module.exports.main = async () => 0;\n');
});
afterEach(() => temp.remove());

function run(args: readonly string[], status: number): void {
  const cli = loadCli(bundle, args);
  cli.saveCache(status);
}

it('keeps the help of a command out of the command cache', () => {
  run(['run', '--help'], 0);
  run(['help', 'run'], 0);
  expect(existsSync(join(temp.dir, 'hv-help.cache'))).toBe(true);
  expect(existsSync(join(temp.dir, 'hv-run.cache'))).toBe(false);
});

it('writes no cache for a command that refused its input (status 2), and one when it ran', async () => {
  run(['run', 'missing.elf'], 2);
  expect(existsSync(join(temp.dir, 'hv-run.cache'))).toBe(false);
  const cli = loadCli(bundle, ['run', 'hello.elf']);
  expect(await cli.main(['run', 'hello.elf'])).toBe(0);
  cli.saveCache(0);
  expect(existsSync(join(temp.dir, 'hv-run.cache'))).toBe(true);
});
