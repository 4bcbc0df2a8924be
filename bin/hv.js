#!/usr/bin/env node
// Entry point of the `hv` command: runs the compiled CLI in dist/ (built by `npm ci` through the
// "prepare" script, or `npm run build`). A build that does not match the current sources
// (dist/build-info.json hashes them) is rebuilt first; if it cannot be rebuilt, hv refuses to run
// a stale build and says how to fix it. The Node version is checked first, before any import that
// an older Node might not load. It is CommonJS (bin/package.json): an ES module entry starts
// Node's ES module loader, which costs ~10-20 ms of every start.
//
// The CLI is one CommonJS file (dist/hv.cjs; `hv run` has one of its own, dist/hv-run.cjs)
// compiled (scripts/cli-loader.cjs) with a V8 code cache per sub-command (dist/hv-<command>.cache,
// written after the first run of that command, replaced when V8 rejects it): start-up then skips
// parsing and compiling what the command runs.
const [nodeMajor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 20) {
  process.stderr.write(`hv: hvlab needs Node.js 20 or newer; this is Node.js ${process.versions.node} (see README.md, Quick start)\n`);
  process.exit(2);
}
const { cliBundle, isBuildCurrent } = require('../scripts/build-check.cjs');
const { loadCli } = require('../scripts/cli-loader.cjs');

// `hv ... | head` closes the pipe early: that is not an error, on either output stream.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** Builds dist/ when it does not match the sources (the build tool loads only then). */
async function buildIfStale() {
  if (isBuildCurrent()) return;
  const { buildIfStale: build } = await import('../scripts/build-lib.mjs');
  await build();
}

async function main() {
  try {
    await buildIfStale();
  } catch (error) {
    process.stderr.write(`hv: the compiled CLI in dist/ is missing or stale and cannot be rebuilt (${error.message}); run npm run build\n`);
    process.exit(2);
  }
  const args = process.argv.slice(2);
  const cli = loadCli(cliBundle(args), args);
  process.exitCode = await cli.main(args);
  cli.saveCache(process.exitCode);
}

main();
