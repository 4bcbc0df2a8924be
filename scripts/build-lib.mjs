// The build of dist/, shared by scripts/build.mjs and bin/hv.js (which imports this module only
// when scripts/build-check.cjs finds dist/ stale). esbuild loads only when a build is made.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import check from './build-check.cjs';

const { CLI_FILE, DIST, FORMAT, OWN_CLI, ROOT, hashOf, isBuildCurrent, stampOf } = check;
export { isBuildCurrent };
/** The CLI (CommonJS, loaded by bin/hv.js with a V8 code cache) and the library (an ES module). */
const CLI = { entry: 'hv/cli/main.ts', file: CLI_FILE };
/** The CLIs of single sub-commands (scripts/build-check.cjs, OWN_CLI): dist/hv-<command>.cjs. */
const OWN_CLI_ENTRIES = Object.fromEntries(OWN_CLI.map((command) => [`hv-${command}`, `hv/cli/main-${command}.ts`]));
const CLI_FILES = [CLI.file, ...Object.keys(OWN_CLI_ENTRIES).map((name) => `${name}.cjs`)];
const LIBRARY = { entry: 'hv/index.ts', file: 'index.js' };
/**
 * Packages loaded from node_modules at run time: native or WebAssembly parts, the build tool,
 * and vega (an ES module with top-level await; the charts import it dynamically).
 */
const EXTERNAL = ['koffi', '@alexaltea/capstone-js', 'esbuild', 'vega'];

/**
 * import.meta.url of a bundled source file, as the URL of that file relative to the bundle. In
 * the CommonJS CLI the bundle's own URL comes from __filename (bin/hv.js passes it).
 */
function sourceUrlPlugin(bundleUrl, rewrite = (text) => text) {
  return {
    name: 'source-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        let text = rewrite(readFileSync(args.path, 'utf8'));
        const fromDist = relative(DIST, args.path).split('\\').join('/');
        const url = `new URL(${JSON.stringify(fromDist)}, ${bundleUrl}).href`;
        text = text.replaceAll('import.meta.url', url);
        text = text.replaceAll('import.meta.dirname', `decodeURIComponent(new URL(".", ${url}).pathname).replace(/\\/$/, "")`);
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // npm packages are bundled too (one file loads much faster than hundreds of modules).
  external: EXTERNAL,
  metafile: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // ASCII only (esbuild's default, stated because scripts/cli-loader.cjs relies on it: it reads
  // the CLI as latin1, which skips UTF-8 decoding).
  charset: 'ascii',
  legalComments: 'none',
  logLevel: 'error',
};

/**
 * `import('<external package>')` in the CLI goes through `__hvImport`, a parameter of the
 * bundle's wrapper that scripts/cli-loader.cjs supplies: code compiled from a V8 code cache by
 * vm.Script loses its dynamic-import callback in Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
 */
function externalImports(text) {
  const names = EXTERNAL.map((n) => n.replace(/[/.]/g, '\\$&')).join('|');
  return text.replace(new RegExp(`(?<![\\w.$]|typeof\\s)import\\((['"])(${names})\\1\\)`, 'g'), '__hvImport($1$2$1)');
}

/**
 * commander requires node:child_process when it loads, for executable sub-commands (which hv does
 * not have); that module and what it brings (dgram, ...) cost ~2 ms of every start. In the CLI it
 * is a stand-in that loads node:child_process on first use.
 */
const LAZY_NAMESPACE = 'lazy-child-process';

function lazyChildProcessPlugin() {
  return {
    name: 'lazy-child-process',
    setup(build) {
      build.onResolve({ filter: /^node:child_process$/ }, (args) =>
        /[/\\]node_modules[/\\]commander[/\\]/.test(args.importer) ? { path: 'node:child_process', namespace: LAZY_NAMESPACE } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, () => ({
        contents: "let loaded; module.exports = new Proxy({}, { get: (_, key) => (loaded ??= require('node:child_process'))[key] });",
        loader: 'js',
      }));
    },
  };
}

/**
 * cli-table3 measures every cell and border piece with string-width, which runs emoji-regex (a 10
 * KB regular expression) over the text, several times a cell: ~2 ms of `hv run` for its one
 * summary table, most of it compiling that expression. In the CLI, cli-table3's string-width is a
 * stand-in that gives text of printable ASCII, box-drawing characters (U+2500-U+257F, the table's
 * borders) and the ellipsis (U+2026, its truncation mark) its length, which is what string-width
 * gives it (none of these is an ANSI escape, an emoji, a wide or a zero-width character), and
 * hands any other text to string-width itself.
 * test/cli/ascii-string-width.test.ts compares the two.
 */
const ASCII_WIDTH_NAMESPACE = 'ascii-string-width';

export const ASCII_STRING_WIDTH = `const stringWidth = require('string-width');
module.exports = (text) => (typeof text === 'string' && /^[\\x20-\\x7e\\u2026\\u2500-\\u257f]*$/.test(text) ? text.length : stringWidth(text));`;

function asciiStringWidthPlugin() {
  return {
    name: 'ascii-string-width',
    setup(build) {
      build.onResolve({ filter: /^string-width$/ }, (args) =>
        /[/\\]node_modules[/\\]cli-table3[/\\]/.test(args.importer)
          ? { path: 'string-width', namespace: ASCII_WIDTH_NAMESPACE, pluginData: args.resolveDir }
          : undefined,
      );
      // Its require('string-width') resolves from cli-table3's folder: the string-width cli-table3 would load.
      build.onLoad({ filter: /.*/, namespace: ASCII_WIDTH_NAMESPACE }, (args) => ({ contents: ASCII_STRING_WIDTH, loader: 'js', resolveDir: args.pluginData }));
    },
  };
}

/**
 * yaml, in the CLI: a stand-in whose exports load the bundled yaml package when first read. yaml's
 * module code (its ~60 modules: classes, tag tables) ran at every start, ~1 ms, also for the
 * commands and the `hv run` of an image that read no YAML. The stand-in has a getter for each
 * export of the installed yaml; ES module imports read them when they are used.
 */
const LAZY_YAML_NAMESPACE = 'lazy-yaml';

function lazyYamlPlugin() {
  return {
    name: 'lazy-yaml',
    setup(build) {
      build.onResolve({ filter: /^yaml$/ }, (args) =>
        args.namespace === LAZY_YAML_NAMESPACE ? undefined : { path: 'yaml', namespace: LAZY_YAML_NAMESPACE, pluginData: args.resolveDir },
      );
      build.onLoad({ filter: /.*/, namespace: LAZY_YAML_NAMESPACE }, (args) => {
        const names = Object.keys(createRequire(join(args.pluginData, 'importer.js'))('yaml'));
        const getters = names.map((name) => `get ${JSON.stringify(name)}() { return load()[${JSON.stringify(name)}]; }`);
        const contents = `let yaml;\nconst load = () => (yaml ??= require('yaml'));\nmodule.exports = { ${getters.join(', ')} };`;
        return { contents, loader: 'js', resolveDir: args.pluginData };
      });
    },
  };
}

/**
 * koffi, which the CLI requires when it loads, by the path of the file Node would resolve now (from
 * dist/, as a relative path): Node's lookup of a package by name (node_modules folders, its
 * package.json "exports") cost ~1.5 ms of every start. package.json is an input of the build, so
 * installing another koffi version makes dist/ stale and this path is resolved again.
 */
function resolvedKoffiPlugin() {
  return {
    name: 'resolved-koffi',
    setup(build) {
      build.onResolve({ filter: /^koffi$/ }, () => {
        const file = relative(DIST, createRequire(join(DIST, 'hv.cjs')).resolve('koffi')).split('\\').join('/');
        return { path: file.startsWith('.') ? file : `./${file}`, external: true };
      });
    },
  };
}

/**
 * The CLI as one CommonJS file (and one per command of OWN_CLI_ENTRIES): bin/hv.js compiles it
 * with a V8 code cache (an ES module cannot use one in Node 20), so that start-up skips parsing
 * and compiling. Modules the CLI imports dynamically (a command's work, charts, the cluster) stay
 * unevaluated until used.
 */
function buildCli(esbuild, outdir) {
  return esbuild.build({
    ...COMMON,
    entryPoints: { hv: CLI.entry, ...OWN_CLI_ENTRIES },
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    plugins: [sourceUrlPlugin('require("node:url").pathToFileURL(__filename)', externalImports), lazyChildProcessPlugin(), asciiStringWidthPlugin(), resolvedKoffiPlugin(), lazyYamlPlugin()],
  });
}

function buildLibrary(esbuild, outdir) {
  return esbuild.build({
    ...COMMON,
    entryPoints: { index: LIBRARY.entry },
    outdir,
    format: 'esm',
    // Readable for the library's users: an error thrown in it shows a source line, not a whole
    // minified bundle, and with `node --enable-source-maps` the stack names hvlab's sources.
    minifyWhitespace: false,
    minifySyntax: false,
    sourcemap: 'linked',
    banner: { js: "import { createRequire as __hvCreateRequire } from 'node:module'; const require = __hvCreateRequire(import.meta.url);" },
    plugins: [sourceUrlPlugin('import.meta.url')],
  });
}

/** Builds dist/ unless it is current (or `force`); returns the number of source files when it built. */
export async function buildIfStale({ force = false } = {}) {
  if (!force && isBuildCurrent()) return { rebuilt: false };
  const esbuild = await import('esbuild');
  const staging = `${DIST}.${process.pid}.tmp`;
  const results = await Promise.all([buildCli(esbuild, staging), buildLibrary(esbuild, staging)]);
  const all = results.flatMap((r) => Object.keys(r.metafile.inputs));
  // Sources only: not packages, nor the stand-in modules of the plugins above (not files).
  const inputs = [...new Set(all.filter((f) => !f.startsWith('node_modules/') && !f.startsWith(`${LAZY_NAMESPACE}:`) && !f.startsWith(`${ASCII_WIDTH_NAMESPACE}:`) && !f.startsWith(`${LAZY_YAML_NAMESPACE}:`)))].sort();
  // The build's own scripts too: a change to how dist/ is made makes older builds stale.
  inputs.push('package.json', 'scripts/build-lib.mjs', 'scripts/build-check.cjs');
  const info = { format: FORMAT, hash: hashOf(inputs), inputs, stamp: stampOf(inputs) };
  writeFileSync(join(staging, 'build-info.json'), `${JSON.stringify(info, null, 1)}\n`);
  writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(DIST, { recursive: true });
  // build-info.json last: a build interrupted halfway still counts as stale.
  for (const name of [...CLI_FILES, LIBRARY.file, `${LIBRARY.file}.map`, 'package.json', 'build-info.json']) renameSync(join(staging, name), join(DIST, name));
  rmSync(staging, { recursive: true, force: true });
  removeLeftovers();
  return { inputs: inputs.length, rebuilt: true };
}

/** Files of older builds: the code caches of the CLI just replaced (V8 would reject them) and old outputs. */
function removeLeftovers() {
  const current = new Set([...CLI_FILES, LIBRARY.file, `${LIBRARY.file}.map`, 'package.json', 'build-info.json']);
  for (const name of readdirSync(DIST)) if (!current.has(name)) rmSync(join(DIST, name), { force: true, recursive: true });
}

