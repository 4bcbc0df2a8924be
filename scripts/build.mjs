// Compiles hvlab's TypeScript into dist/ with esbuild: dist/hv.cjs (the CLI, run by bin/hv.js;
// `hv run` runs dist/hv-run.cjs, the same CLI without the other commands) and
// dist/index.js (the library, package.json "exports"): one file each, the CLI a CommonJS file
// that bin/hv.js compiles with a V8 code cache, the library an ES module; npm packages are
// bundled except those with native or WebAssembly parts, and vega. The sources use `import.meta.url` to find files of the checkout (firmware, native
// sources, deps/): in the bundle it is rewritten to the URL of the original source file,
// relative to the bundle, so the build works wherever the checkout lives.
//
// dist/build-info.json lists every source file that went into the build with a hash of their
// contents; bin/hv.js compares it at start-up and rebuilds (or refuses) a stale build.
//
// Usage: node scripts/build.mjs            (build)
//        node scripts/build.mjs --check    (exit 1 when dist/ is missing or stale)
import { buildIfStale, isBuildCurrent } from './build-lib.mjs';

if (process.argv.includes('--check')) {
  const current = isBuildCurrent();
  console.log(current ? 'dist/ is up to date' : 'dist/ is missing or stale');
  process.exit(current ? 0 : 1);
}
const rebuilt = await buildIfStale({ force: true });
console.log(`built dist/ (${rebuilt.inputs} source files)`);
