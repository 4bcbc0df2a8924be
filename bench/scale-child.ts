/**
 * One scale measurement in a fresh process (so that resident memory is this system's alone):
 * boots `guests` copies of an image on `cores` cores, then runs them to `cycles` of virtual time.
 * Prints one JSON line: boot time and resident memory per guest, instructions and run seconds.
 * Usage: node --import tsx bench/scale-child.ts <image> <guests> <cores> <cycles>
 */
import { validateSystem } from '../hv/core/system-config.ts';
import { Session } from '../hv/system/session.ts';

const [image, guestArg, coreArg, cycleArg] = process.argv.slice(2);
const guests = Number(guestArg);
const cores = Number(coreArg);
const cycles = Number(cycleArg);

const system0 = (n: number) =>
  validateSystem({ cores, guests: Array.from({ length: n }, (_, i) => ({ name: `g${i}`, image, core: i % cores })) }, 'bench');
// Warm up (libunicorn, the counter library, the JIT-compiled boot path) with a throw-away guest,
// so that only per-guest costs are measured.
(await Session.open(system0(1))).close();
const config = validateSystem(
  { cores, guests: Array.from({ length: guests }, (_, i) => ({ name: `g${i}`, image, core: i % cores })) },
  'bench',
);
const rss0 = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const session = await Session.open(config);
const bootSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rss1 = process.memoryUsage().rss;
const t1 = process.hrtime.bigint();
if (cycles > 0) session.runUntil({ cycles });
const runSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
const instructions = session.results().guests.reduce((sum, g) => sum + g.instructions, 0);
const rss2 = process.memoryUsage().rss;
session.close();
console.log(
  JSON.stringify({
    bootMsPerGuest: (bootSeconds * 1000) / guests,
    rssMiBPerGuest: (rss1 - rss0) / guests / 2 ** 20,
    rssMiBPerGuestAfterRun: (rss2 - rss0) / guests / 2 ** 20,
    instructions,
    runSeconds,
  }),
);
