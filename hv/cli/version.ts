/**
 * `hv --version`: hvlab's version (package.json), the Node.js running it and the Unicorn library
 * it loads (asked only when the version is printed, so other commands do not pay for loading it).
 */
import { type Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { unicorn } from '../unicorn/ffi.ts';

export function registerVersionOption(program: Command): void {
  program.option('-V, --version', 'print the versions of hvlab, Node.js and Unicorn');
  program.on('option:version', () => {
    process.stdout.write(`${versionText()}\n`);
    throw new CommanderError(0, 'commander.version', 'version printed');
  });
}

export function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `hvlab ${pkg.version} (Node.js ${process.version}, Unicorn ${unicornVersion()})`;
}

function unicornVersion(): string {
  try {
    const major: [number] = [0];
    const minor: [number] = [0];
    const packed = unicorn().fn.version(major, minor) as number;
    const patch = (packed >>> 8) & 0xff;
    return `${major[0]}.${minor[0]}.${patch}`;
  } catch (error) {
    return `not loadable: ${(error as Error).message}`;
  }
}
