// Loads a compiled CLI (dist/hv.cjs or dist/hv-run.cjs, one CommonJS file) the way Node loads a CommonJS module,
// but through vm.Script with a V8 code cache: an ES module cannot use one in Node 20, and
// compiling the bundle is a large part of hv's start-up. There is one cache per sub-command
// (`hv run` compiles other functions than `hv --help`); V8 checks that a cache matches the source
// and its own version and flags, and rejects it otherwise (it is then written again). This file is
// CommonJS, as bin/hv.js is: no ES module loader starts unless a command imports a package.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { basename, dirname, join } = require('node:path');
const vm = require('node:vm');

/**
 * The cache file of the sub-command in `args` (the first argument that is not an option). Help
 * has a cache of its own: `hv run --help` compiles none of what `hv run` runs, and a cache that V8
 * accepts is never written again.
 */
function cacheFile(bundle, args) {
  const command = args.find((a) => !a.startsWith('-')) ?? '';
  const help = command === 'help' || args.includes('--help') || args.includes('-h');
  const key = help ? 'help' : /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'hv';
  // Per bundle too (dist/hv.cjs: hv-<key>.cache; dist/hv-run.cjs: hv-run-<key>.cache).
  return join(dirname(bundle), `${basename(bundle, '.cjs')}-${key}.cache`);
}

/** hv's exit status for bad input: the command stopped before doing its work. */
const EXIT_BAD_INPUT = 2;

function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The bundle's dynamic imports of packages (vega, capstone) come here (`__hvImport`, see
 * scripts/build-lib.mjs): functions compiled from a code cache lose vm.Script's import callback.
 */
const hvImport = (specifier) => import(specifier);

function loadCli(bundle, args) {
  const file = cacheFile(bundle, args);
  const cachedData = readCache(file);
  // The bundle is ASCII (charset: 'ascii' in scripts/build-lib.mjs): latin1 reads the same text
  // without UTF-8 decoding (~1 ms of 1.3 MB).
  const source = readFileSync(bundle, 'latin1');
  const wrapper = `(function (exports, require, module, __filename, __dirname, __hvImport) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle), hvImport);
  return {
    main: module.exports.main,
    /**
     * Writes the cache after the command ran (it then holds the functions the command compiled),
     * unless the command refused its input and stopped early (`status` 2): the command's next
     * run would then find a cache without most of its code.
     */
    saveCache(status) {
      if (status === EXIT_BAD_INPUT || (cachedData && !script.cachedDataRejected)) return;
      const temp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, file);
      } catch {
        // A read-only installation runs without a cache.
      }
    },
  };
}

module.exports = { loadCli };
