/**
 * The identity of this hvlab build: a SHA-256 of its sources (every TypeScript and C file under
 * hv/ and devices/, and package.json), the same whether hvlab runs from dist/ or from the
 * TypeScript. A checkpoint restores only into the build that made it: the state it holds is
 * the state of exactly these models.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../lazy-builtins.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = /\.(ts|c|h)$/;

let cached: string | undefined;

export function buildId(): string {
  if (cached !== undefined) return cached;
  const hash = sha256();
  for (const file of ['package.json', ...sources('hv'), ...sources('devices')]) hash.update(`${file}\n`).update(readFileSync(join(ROOT, file)));
  cached = hash.digest('hex');
  return cached;
}

/** Source files under `dir` (relative to the checkout), sorted. */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (SOURCE.test(entry.name)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}
