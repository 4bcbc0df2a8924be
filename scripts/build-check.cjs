// Whether dist/ holds a build of exactly the current sources: the check bin/hv.js runs on every
// start, and the paths and hash the build (scripts/build-lib.mjs) shares with it. CommonJS, and
// nothing heavy loaded up front (node:crypto only when a source's size or time changed): an ES
// module here would start Node's ES module loader on every `hv` start (~5-10 ms).
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const INFO = join(DIST, 'build-info.json');
/** Bump when the build's output format changes, so that older builds count as stale. */
const FORMAT = 5;
/** The compiled CLI (CommonJS, loaded by scripts/cli-loader.cjs with a V8 code cache): every command. */
const CLI_FILE = 'hv.cjs';
/**
 * Sub-commands with a compiled CLI of their own, dist/hv-<command>.cjs (from hv/cli/main-<command>.ts),
 * used when the command line starts with the command: a bundle without the other commands' code
 * is smaller to load, compile and evaluate (hv run: ~6 ms of each start).
 */
const OWN_CLI = ['run'];

/** The compiled CLI that runs the command line `args`. */
function cliBundle(args) {
  return join(DIST, OWN_CLI.includes(args[0]) ? `hv-${args[0]}.cjs` : CLI_FILE);
}

/**
 * The path of an input (relative, with '/', as esbuild's metafile lists it). Concatenated, not
 * path.join()ed: joining and normalizing ~300 paths cost as much as stat()ing the files.
 */
function inRoot(file) {
  return `${ROOT}/${file}`;
}

function hashOf(files) {
  const { createHash } = require('node:crypto');
  const hash = createHash('sha256');
  hash.update(`format ${FORMAT}\n`);
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(inRoot(file)));
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
    const s = statSync(inRoot(file));
    return `${s.size}:${s.mtimeMs}`;
  });
}

/**
 * The sources were touched but not changed: record their new sizes and times, so that the next
 * start compares those instead of hashing every source again.
 */
function rememberStamp(info, stamp) {
  const temp = `${INFO}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify({ ...info, stamp }, null, 1)}\n`);
    renameSync(temp, INFO);
  } catch {
    rmSync(temp, { force: true }); // a read-only installation hashes on every start
  }
}

/**
 * True when dist/ holds a build of exactly the current sources. Every input's size and time are
 * compared first (cheap); when any differs, the contents are hashed, so that a file touched but
 * not changed keeps the build and a changed one never does.
 */
function isBuildCurrent() {
  const info = readInfo();
  // A build of another output format is stale whatever its sources (the stamps below only cover those).
  if (!info || !Array.isArray(info.inputs) || info.format !== FORMAT) return false;
  try {
    const stamp = stampOf(info.inputs);
    if (Array.isArray(info.stamp) && stamp.every((s, i) => s === info.stamp[i])) return true;
    if (hashOf(info.inputs) !== info.hash) return false;
    rememberStamp(info, stamp);
    return true;
  } catch {
    return false; // a source file was removed
  }
}

module.exports = { CLI_FILE, DIST, FORMAT, OWN_CLI, ROOT, cliBundle, hashOf, isBuildCurrent, stampOf };
