#!/usr/bin/env node
// Entry point of the `hv` command: registers the TypeScript loader (tsx) and runs the CLI.
import { register } from 'tsx/esm/api';

register();
// `hv ... | head` closes the pipe early: that is not an error, on either output stream.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../hv/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
