/**
 * The checkpoint file: what its header says, and one clear CheckpointError (an InputError: exit
 * status 2 in the CLI) for a file that is missing, not a checkpoint, truncated anywhere, corrupt,
 * of another format version, made by another build of hvlab, of another system than expected,
 * or whose images changed since; and the session states in which no checkpoint can be taken.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSystemFile, validateSystem } from '../../hv/core/system-config.ts';
import { CheckpointError, InputError, UsageError } from '../../hv/errors.ts';
import { CHECKPOINT_MAGIC } from '../../hv/system/checkpoint-file.ts';
import { Session } from '../../hv/system/session.ts';
import { checkpointDir } from '../helpers/checkpoint-run.ts';
import { REPO_ROOT, imagePath } from '../helpers/run-system.ts';
import { rejected, thrown } from '../helpers/thrown.ts';

const DEMO = join(REPO_ROOT, 'guests', 'demo.yaml');
const files = checkpointDir();
let good: string;
let bytes: Buffer;

beforeAll(async () => {
  good = files.file('good.hvck');
  const session = await Session.open(DEMO);
  try {
    session.runUntil({ cycles: 1_000_000, exact: false });
    session.checkpoint(good);
  } finally {
    session.close();
  }
  bytes = readFileSync(good);
}, 60_000);
afterAll(() => files.remove());

/** The file `mutate` makes of the good one, restored: the one-line error it gets. */
async function refusal(name: string, content: Buffer): Promise<string> {
  const file = files.file(name);
  writeFileSync(file, content);
  const error = await rejected(() => Session.restore(file), CheckpointError, 'HV_CHECKPOINT');
  expect(error).toBeInstanceOf(InputError);
  expect(error.message).not.toContain('\n');
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  return error.message.slice(file.length + 2);
}

/** The good file with its header changed and its checksum made right again. */
function withHeader(change: (header: Record<string, unknown>) => void): Buffer {
  const length = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.subarray(16, 16 + length).toString('utf8')) as Record<string, unknown>;
  change(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.from(bytes.subarray(0, 16));
  prefix.writeUInt32LE(json.length, 12);
  const body = Buffer.concat([prefix, json, bytes.subarray(16 + length, bytes.length - 32)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

describe('checkpoint files', () => {
  it('start with the magic, the format version and a JSON header saying what they hold', () => {
    expect(bytes.toString('latin1', 0, 8)).toBe(CHECKPOINT_MAGIC);
    expect(bytes.readUInt32LE(8)).toBe(1);
    const header = JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(12)).toString('utf8'));
    expect(header).toMatchObject({ format: 'hvlab-checkpoint', source: DEMO, guests: ['hello', 'tasks', 'fault', 'compute'] });
    expect(header.cycles).toBeGreaterThanOrEqual(1_000_000);
    expect(header.build).toMatch(/^[0-9a-f]{64}$/);
    expect(header.system).toMatch(/^[0-9a-f]{64}$/);
  });

  it('are the same bytes for the same run (no host time or path of a temporary file in them)', async () => {
    const save = async (system: string, name: string) => {
      const session = await Session.open(system);
      try {
        session.runUntil({ cycles: 1_000_000, exact: false });
        session.checkpoint(files.file(name));
      } finally {
        session.close();
      }
      return readFileSync(files.file(name));
    };
    expect((await save(DEMO, 'again.hvck')).equals(bytes)).toBe(true);
    const ioDemo = join(REPO_ROOT, 'guests', 'io-demo.yaml');
    expect((await save(ioDemo, 'io-1.hvck')).equals(await save(ioDemo, 'io-2.hvck'))).toBe(true);
  }, 60_000);

  it('refuses a missing file and a file that is not a checkpoint', async () => {
    expect((await rejected(() => Session.restore(files.file('missing.hvck')), CheckpointError)).message).toMatch(/cannot read checkpoint: ENOENT/);
    expect(await refusal('empty.hvck', Buffer.alloc(0))).toBe('not an hvlab checkpoint (no HVLABCKP magic at the start)');
    expect(await refusal('yaml.hvck', readFileSync(DEMO))).toBe('not an hvlab checkpoint (no HVLABCKP magic at the start)');
  });

  it('refuses a file truncated anywhere', async () => {
    for (const size of [12, 16, 40, Math.floor(bytes.length / 2), bytes.length - 33, bytes.length - 1]) {
      expect(await refusal(`cut-${size}.hvck`, bytes.subarray(0, size))).toMatch(/^truncated checkpoint \(\d+ (bytes|of \d+ bytes)/);
    }
  });

  it('refuses a corrupt file: a changed byte anywhere, or bytes after its end', async () => {
    for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! ^ 0x40;
      expect(await refusal(`flip-${at}.hvck`, changed)).toBe('corrupt checkpoint (its SHA-256 checksum does not match its contents)');
    }
    expect(await refusal('longer.hvck', Buffer.concat([bytes, Buffer.from('x')]))).toBe('corrupt checkpoint (1 bytes after its end)');
  });

  it('refuses another format version and another build of hvlab', async () => {
    const version = Buffer.from(bytes);
    version.writeUInt32LE(2, 8);
    expect(await refusal('v2.hvck', version)).toBe('checkpoint format version 2; this hvlab reads version 1');
    const other = withHeader((h) => (h['build'] = 'f'.repeat(64)));
    expect(await refusal('build.hvck', other)).toMatch(/^made by another build of hvlab \(build ffffffffffff, this is [0-9a-f]{12}\): restore it with the hvlab that made it$/);
  });

  it('refuses a checkpoint of another system than the caller expects, and one whose image changed', async () => {
    const other = loadSystemFile(join(REPO_ROOT, 'guests', 'debug-demo.yaml'));
    const error = await rejected(() => Session.restore(good, { expect: other }), CheckpointError);
    expect(error.message).toBe(`${good}: mismatched checkpoint: it holds the system of ${DEMO}, not ${other.source}`);
    const image = files.file('hello.elf');
    copyFileSync(imagePath('hello'), image);
    const config = validateSystem({ guests: [{ name: 'hello', image }] }, files.file('copy.yaml'));
    const session = await Session.open(config);
    const file = files.file('copy.hvck');
    try {
      session.runUntil({ cycles: 1_000, exact: false });
      session.checkpoint(file);
    } finally {
      session.close();
    }
    writeFileSync(image, Buffer.concat([readFileSync(image), Buffer.from([0])]));
    const changed = await rejected(() => Session.restore(file), CheckpointError);
    expect(changed.message).toBe(`${file}: mismatched checkpoint: guest hello's image ${image} changed since the checkpoint`);
  }, 60_000);

  it('cannot be taken of a finished session or of one with guests added while it ran', async () => {
    const session = await Session.open(DEMO);
    try {
      session.runUntil({ cycles: 10_000 });
      session.addGuest(validateSystem({ guests: [{ name: 'late', image: imagePath('hello') }] }, 'late.yaml').guests[0]!);
      expect(thrown(() => session.checkpoint(files.file('added.hvck')), UsageError).message).toMatch(/guests were added while it ran/);
      session.finish();
      expect(thrown(() => session.checkpoint(files.file('finished.hvck')), UsageError).message).toBe('the session is finished: take a checkpoint before finish()');
    } finally {
      session.close();
    }
  }, 60_000);
});
