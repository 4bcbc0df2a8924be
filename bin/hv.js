#!/usr/bin/env node
// Entry point of the `hv` command: registers the TypeScript loader (tsx) and runs the CLI.
// Node version first, before any import that an older Node might not load (imports are dynamic).
const [nodeMajor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 20) {
  process.stderr.write(`hv: hvlab needs Node.js 20 or newer; this is Node.js ${process.versions.node} (see README.md, Quick start)\n`);
  process.exit(2);
}
const { register } = await import('tsx/esm/api');

register();
// `hv ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('../hv/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
