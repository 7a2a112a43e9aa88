import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AirlockError } from '../core/errors.js';
import { acquireJournalLock } from './journal-lock.js';

const inUse = (err: unknown) => err instanceof AirlockError && err.code === 'ERR_AUDIT_UNAVAILABLE';

describe('acquireJournalLock', () => {
  let dir: string;
  let journal: string;
  let lock: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-lock-'));
    journal = join(dir, 'journal-n.jsonl');
    lock = `${journal}.lock`;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the lock until released, and refuses a second holder in the same process', () => {
    const release = acquireJournalLock(journal, 0);
    assert.ok(existsSync(lock));
    assert.throws(() => acquireJournalLock(journal, 0), /already open in this process/);
    release();
    assert.ok(!existsSync(lock));
    acquireJournalLock(journal, 0)();
  });

  it('takes over the lock of a process that is gone, and a pid-less lock once it is old', () => {
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(lock, `${exited.stdout}\n`);
    acquireJournalLock(journal, 0)();
    writeFileSync(lock, '');
    assert.throws(() => acquireJournalLock(journal, 0), inUse, 'a fresh empty lock may be mid-creation');
    utimesSync(lock, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    acquireJournalLock(journal, 0)();
  });

  it('refuses a live holder at once, or waits for it when asked', async () => {
    const script = `
      const { acquireJournalLock } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'journal-lock.ts')).href)});
      const release = acquireJournalLock(process.env.JOURNAL, 0);
      setTimeout(release, 700);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, JOURNAL: journal },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 10_000;
      while (!existsSync(lock)) {
        assert.ok(Date.now() < deadline, 'child took the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.throws(
        () => acquireJournalLock(journal, 0),
        (err: unknown) => inUse(err) && (err as Error).message.includes(`process ${child.pid}`),
      );
      const waitedFrom = Date.now();
      const release = acquireJournalLock(journal, 10_000);
      assert.ok(Date.now() - waitedFrom > 100, 'waited for the holder');
      release();
    } finally {
      child.kill();
      await exited;
    }
  });
});
