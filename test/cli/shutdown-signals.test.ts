/**
 * SIGINT and SIGTERM in `hv run`, at the points that do not depend on host timing: a signal
 * that arrived while the system booted ends the run before its first instruction (the handlers
 * are installed before booting and the run driver looks before each slice); one that arrives
 * while the run waits for terminal input ends the wait. Both end through the normal ending
 * (summary, stats) with the shell's status. test/cli/signal-kill.test.ts kills real runs at
 * random points.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { driveRun } from '../../hv/cli/run-driver.ts';
import { ShutdownSignals, signalExitStatus } from '../../hv/cli/shutdown-signals.ts';
import { Session } from '../../hv/system/session.ts';
import { FIRMWARE, ROOT, makeTempDir } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-signals-');
afterAll(() => tmp.remove());

describe('shutdown signals', () => {
  let installed: ShutdownSignals | undefined;
  afterEach(() => installed?.remove());

  it('gives the statuses shells report for a process ended by the signal', () => {
    expect(signalExitStatus('SIGINT')).toBe(130);
    expect(signalExitStatus('SIGTERM')).toBe(143);
  });

  it('ends a run before its first instruction when the signal came while it booted', async () => {
    const notices: string[] = [];
    installed = ShutdownSignals.install((m) => notices.push(m), 'stopping');
    const opening = Session.open(join(FIRMWARE, 'compute.elf'));
    process.emit('SIGTERM', 'SIGTERM');
    const session = await opening;
    try {
      const { result, signal } = await driveRun(session, { signals: installed });
      expect(signal).toBe('SIGTERM');
      expect(result).toEqual({ reason: 'stopped', cycles: 0 });
      expect(session.results().guests[0]!.instructions).toBe(0);
      // A second signal does not cut the shutdown short; it is only noted.
      process.emit('SIGINT', 'SIGINT');
      expect(installed.received).toBe('SIGTERM');
      expect(notices).toHaveLength(2);
      expect(notices[1]).toMatch(/^SIGINT: already shutting down/);
    } finally {
      session.close();
    }
  });

  it('gives the signals back to Node when removed', () => {
    const before = process.listenerCount('SIGINT');
    const signals = ShutdownSignals.install(() => {}, 'stopping');
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    signals.remove();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});

describe('hv run waiting for terminal input', () => {
  it('shuts down on SIGTERM with status 143, the summary and the stats of the run so far', async () => {
    const stats = join(tmp.dir, 'stats.json');
    const child = spawn(process.execPath, [join(ROOT, 'bin/hv.js'), 'run', 'firmware/build/echo.elf', '--uart-input', 'echo:-', '--stats', stats], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The guest is idle, waiting for a line: the run waits for the terminal, which stays open.
    // One signal only: a second one, sent on a later chunk of output, could land after hv gave
    // the signals back to Node on its way out, and end it by the signal (the test was flaky so).
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (!signalled && stdout.includes('echo: ready')) signalled = child.kill('SIGTERM');
    });
    expect(await ended).toBe(143);
    expect(stdout).toMatch(/run ended: stopped at cycle \d+/);
    expect(stderr).toMatch(/^hv: SIGTERM: stopping the run at the next slice boundary/m);
    expect(stderr).toMatch(/^hv: SIGTERM: the run was stopped at cycle \d+; the disks are flushed, the stats and trace files are of the run so far$/m);
    expect(JSON.parse(readFileSync(stats, 'utf8'))).toMatchObject({ endReason: 'stopped', guests: [{ name: 'echo', state: 'running' }] });
    child.stdin.end();
  });
});
