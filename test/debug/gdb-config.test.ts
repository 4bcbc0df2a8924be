/** The system file's gdb fields: a guest's port and wait flag, validated with the others. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { ROOT } from '../helpers/hv-cli.ts';
import { startHv } from '../helpers/hv-spawn.ts';
import { RspClient } from '../helpers/rsp-client.ts';

const hello = join(ROOT, 'firmware/build/hello.elf');

describe('gdb fields in a system file', () => {
  it('accepts a port and a wait flag, and reports a wait without a port and a port used twice', () => {
    const ok = validateSystem({ guests: [{ name: 'a', image: hello, gdb: 1234, 'gdb-wait': true }] }, 's.yaml');
    expect(ok.guests[0]).toMatchObject({ gdb: 1234, 'gdb-wait': true });
    expect(() => validateSystem({ guests: [{ name: 'a', image: hello, 'gdb-wait': true }] }, 's.yaml')).toThrow(
      's.yaml: guests[0].gdb-wait: expected a gdb port for this guest to wait on',
    );
    expect(() => validateSystem({ guests: [{ name: 'a', image: hello, gdb: 1234 }, { name: 'b', image: hello, gdb: 1234 }] }, 's.yaml')).toThrow(
      's.yaml: guests[1].gdb: expected a port no other guest uses, 1234 is used twice',
    );
    expect(() => validateSystem({ guests: [{ name: 'a', image: hello, gdb: 70000 }] }, 's.yaml')).toThrow(/s\.yaml: guests\[0\]\.gdb: /);
  });

  it('starts the server and waits for gdb as --gdb --gdb-wait would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvlab-gdbcfg-'));
    try {
      const file = join(dir, 'debug.yaml');
      writeFileSync(file, `guests:\n  - name: hello\n    image: ${hello}\n    gdb: 0\n    gdb-wait: true\n`);
      const hv = await startHv(['run', file]);
      const gdb = await RspClient.connect(hv.port);
      expect(await gdb.request('?')).toBe('T05thread:1;');
      expect(await gdb.request('c')).toBe('W00');
      gdb.close();
      const end = await hv.done;
      expect(end.status).toBe(0);
      expect(end.stderr).toContain('(waiting for gdb before the first instruction)');
      expect(end.stdout).toContain('[hello] hello: done');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
