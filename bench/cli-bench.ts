/** CLI start-up: `hv --help`, and `hv run hello.elf` against QEMU running the same image. */
import { resolve } from 'node:path';
import { aim, median, spread } from './aims.ts';
import { timeCommand } from './qemu-run.ts';

const HV = resolve(import.meta.dirname, '..', 'bin', 'hv.js');
const QEMU_ARGS = ['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'stdio',
  '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=0,align=off,sleep=off', '-kernel'];

export function cliBench(qemu: string | undefined, hello: string, trials = 7): void {
  timeCommand(process.execPath, [HV, '--help']);
  const help = Array.from({ length: trials }, () => timeCommand(process.execPath, [HV, '--help']));
  console.log(`CLI start-up (median of ${trials})`);
  console.log(`  hv --help               ${(median(help) * 1000).toFixed(0)} ms`);
  aim('hv --help', median(help), 's', '<=', 0.3, spread(help));
  if (!qemu) {
    console.log('  qemu-system-arm not found: hv run against QEMU is skipped');
    return;
  }
  const ratios: number[] = [];
  const hv: number[] = [];
  const q: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < trials; i++) {
    hv.push(timeCommand(process.execPath, [HV, 'run', hello]));
    q.push(timeCommand(qemu, [...QEMU_ARGS, hello]));
    node.push(timeCommand(process.execPath, ['-e', '0']));
    ratios.push(hv.at(-1)! / q.at(-1)!);
  }
  console.log(`  hv run hello.elf        ${(median(hv) * 1000).toFixed(0)} ms; QEMU on the same image ${(median(q) * 1000).toFixed(0)} ms`);
  // The floor under every hv start: Node's own start-up, which hvlab does not control.
  console.log(`  node -e 0               ${(median(node) * 1000).toFixed(0)} ms (Node's own start-up, part of every hv start)`);
  if (process.env['NODE_EXTRA_CA_CERTS']) {
    console.log('  (NODE_EXTRA_CA_CERTS is set: Node 20 reads and parses those certificates at every start, before any of hv runs)');
  }
  aim('hv run hello.elf / QEMU wall time', median(ratios), 'x', '<=', 3, spread(ratios));
}
