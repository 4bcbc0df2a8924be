// Entry point of the local transport's worker threads. Workers do not inherit the parent's
// TypeScript loader, so this registers tsx (as bin/hv.js does) and then loads the worker module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
