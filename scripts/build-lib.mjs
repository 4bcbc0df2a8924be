// The build of dist/ and its staleness check, shared by scripts/build.mjs and bin/hv.js.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
const INFO = join(DIST, 'build-info.json');
const ENTRIES = { hv: 'hv/cli/main.ts', index: 'hv/index.ts' };
/** Bump when the build's output format changes, so that older builds count as stale. */
const FORMAT = 2;

function hashOf(files) {
  const hash = createHash('sha256');
  hash.update(`format ${FORMAT}\n`);
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(ROOT, file)));
  return hash.digest('hex');
}

function readInfo() {
  try {
    return JSON.parse(readFileSync(INFO, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Size and modification time of each input: when none changed, the contents did not either. */
function stampOf(files) {
  return files.map((file) => {
    const s = statSync(join(ROOT, file));
    return `${s.size}:${s.mtimeMs}`;
  });
}

/**
 * True when dist/ holds a build of exactly the current sources. Every input's size and time are
 * compared first (cheap); when any differs, the contents are hashed, so that a file touched but
 * not changed keeps the build and a changed one never does.
 */
export function isBuildCurrent() {
  const info = readInfo();
  if (!info || !Array.isArray(info.inputs)) return false;
  try {
    const stamp = stampOf(info.inputs);
    if (Array.isArray(info.stamp) && stamp.every((s, i) => s === info.stamp[i])) return true;
    return hashOf(info.inputs) === info.hash;
  } catch {
    return false; // a source file was removed
  }
}

/** import.meta.url of a bundled source file, as the URL of that file relative to the bundle. */
function sourceUrlPlugin() {
  return {
    name: 'source-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        const fromDist = relative(DIST, args.path).split('\\').join('/');
        const url = `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`;
        text = text.replaceAll('import.meta.url', url);
        text = text.replaceAll('import.meta.dirname', `decodeURIComponent(new URL(".", ${url}).pathname).replace(/\\/$/, "")`);
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

/** Builds dist/ unless it is current (or `force`); returns the number of source files. */
export async function buildIfStale({ force = false } = {}) {
  if (!force && isBuildCurrent()) return { inputs: readInfo().inputs.length, rebuilt: false };
  const esbuild = await import('esbuild');
  const staging = `${DIST}.${process.pid}.tmp`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: staging,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // npm packages are bundled too (one file loads much faster than hundreds of modules), except
    // those with native or WebAssembly parts, which load from node_modules.
    external: ['koffi', '@alexaltea/capstone-js', 'esbuild'],
    banner: { js: "import { createRequire as __hvCreateRequire } from 'node:module'; const require = __hvCreateRequire(import.meta.url);" },
    metafile: true,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'error',
    plugins: [sourceUrlPlugin()],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
  inputs.push('package.json');
  const info = { format: FORMAT, hash: hashOf(inputs), inputs, stamp: stampOf(inputs) };
  writeFileSync(join(staging, 'build-info.json'), `${JSON.stringify(info, null, 1)}\n`);
  writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(DIST, { recursive: true });
  // build-info.json last: a build interrupted halfway still counts as stale.
  for (const name of ['hv.js', 'index.js', 'package.json', 'build-info.json']) renameSync(join(staging, name), join(DIST, name));
  rmSync(staging, { recursive: true, force: true });
  return { inputs: inputs.length, rebuilt: true };
}
