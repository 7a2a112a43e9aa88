import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { checkRecordHash, GENESIS_HASH } from './chain.js';
import type { AuditEventBody, AuditRecord } from './events.js';
import { Journal, type JournalOptions } from './journal.js';

const key = Buffer.alloc(32, 9);

function revoked(name: string): AuditEventBody {
  return {
    type: 'token.revoked',
    actor: { subject: 'operator', kind: 'human', groups: [], issuer: 'local', chain: [] },
    name,
  };
}

function fileRecords(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditRecord);
}

const isUnavailable = (err: unknown) => err instanceof AirlockError && err.code === 'ERR_AUDIT_UNAVAILABLE';

describe('Journal', () => {
  let dir: string;
  let clock: ManualClock;
  const open = (extra: Partial<JournalOptions> = {}) =>
    Journal.open({ dir, node: 'node-a', clock, key, ...extra });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-journal-'));
    clock = new ManualClock(Date.UTC(2026, 0, 1));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends sealed, chained records, one JSON line each, before append returns', () => {
    const journal = open();
    try {
      const first = journal.append(revoked('a'));
      clock.advance(1500);
      const second = journal.append(revoked('b'));
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.equal(first.time, '2026-01-01T00:00:00.000Z');
      assert.equal(second.seq, 2);
      assert.equal(second.prevHash, first.hash);
      assert.equal(second.time, '2026-01-01T00:00:01.500Z');
      // Read back without sync or close: write(2) already put it in the file.
      const lines = fileRecords(journal.path);
      assert.deepEqual(lines, [{ ...first }, { ...second }]);
      for (const line of lines)
        assert.equal(checkRecordHash(line as unknown as Record<string, unknown>), undefined);
      assert.equal(journal.size, statSync(journal.path).size);
      assert.deepEqual(journal.head, { seq: 2, hash: second.hash });
      assert.equal(statSync(journal.path).mode & 0o777, 0o600);
    } finally {
      journal.close();
    }
  });

  it('resumes the chain after reopening', () => {
    const first = open();
    const last = [first.append(revoked('a')), first.append(revoked('b'))][1]!;
    first.close();
    const second = open();
    try {
      assert.equal(second.seq, 2);
      const next = second.append(revoked('c'));
      assert.equal(next.seq, 3);
      assert.equal(next.prevHash, last.hash);
    } finally {
      second.close();
    }
  });

  it('cuts a torn last line (a crash mid-write) and continues from the last whole record', () => {
    const first = open();
    const good = first.append(revoked('a'));
    first.close();
    const path = join(dir, 'journal-node-a.jsonl');
    appendFileSync(path, '{"type":"command","seq":2,"te');
    const second = open();
    try {
      assert.equal(second.recovery.truncatedBytes, '{"type":"command","seq":2,"te'.length);
      assert.equal(second.seq, 1);
      const next = second.append(revoked('b'));
      assert.equal(next.seq, 2);
      assert.equal(next.prevHash, good.hash);
      assert.deepEqual(
        fileRecords(path).map((r) => r.seq),
        [1, 2],
      );
    } finally {
      second.close();
    }
  });

  it('drops trailing lines that are not records (zero-filled blocks after a power loss)', () => {
    const first = open();
    first.append(revoked('a'));
    first.close();
    const path = join(dir, 'journal-node-a.jsonl');
    appendFileSync(path, Buffer.concat([Buffer.alloc(100), Buffer.from('\n'), Buffer.alloc(50)]));
    const second = open();
    try {
      assert.equal(second.recovery.droppedLines, 1);
      assert.equal(second.recovery.truncatedBytes, 151);
      assert.equal(second.seq, 1);
    } finally {
      second.close();
    }
  });

  it('throws ERR_AUDIT_UNAVAILABLE when the write fails, and the chain does not advance', () => {
    let failing = false;
    const journal = open({
      write: (fd, line) => {
        if (failing) throw new Error('EIO: input/output error');
        writeSync(fd, line);
      },
    });
    try {
      const first = journal.append(revoked('a'));
      failing = true;
      assert.throws(() => journal.append(revoked('lost')), isUnavailable);
      assert.equal(journal.failures, 1);
      assert.deepEqual(journal.head, { seq: 1, hash: first.hash });
      failing = false;
      const next = journal.append(revoked('b'));
      assert.equal(next.seq, 2);
      assert.equal(next.prevHash, first.hash);
    } finally {
      journal.close();
    }
  });

  it('removes a partial line left by a failed write before the next append', () => {
    let mode: 'ok' | 'half' = 'ok';
    const journal = open({
      write: (fd, line) => {
        if (mode === 'half') {
          writeSync(fd, line.slice(0, 10));
          throw new Error('ENOSPC: no space left on device');
        }
        writeSync(fd, line);
      },
    });
    try {
      journal.append(revoked('a'));
      mode = 'half';
      assert.throws(() => journal.append(revoked('lost')), isUnavailable);
      mode = 'ok';
      journal.append(revoked('b'));
      assert.deepEqual(
        fileRecords(journal.path).map((r) => [r.seq, (r as { name?: string }).name]),
        [
          [1, 'a'],
          [2, 'b'],
        ],
      );
    } finally {
      journal.close();
    }
  });

  it('tells subscribers about each record; a throwing listener does not fail the append', () => {
    const journal = open();
    try {
      const seen: number[] = [];
      const unsubscribe = journal.subscribe((record) => seen.push(record.seq));
      journal.subscribe(() => {
        throw new Error('listener bug');
      });
      journal.append(revoked('a'));
      journal.append(revoked('b'));
      unsubscribe();
      journal.append(revoked('c'));
      assert.deepEqual(seen, [1, 2]);
    } finally {
      journal.close();
    }
  });

  it('refuses appends after close', () => {
    const journal = open();
    journal.close();
    assert.throws(() => journal.append(revoked('a')), isUnavailable);
  });

  it('allows one writer per journal: a second open fails, a dead owner’s lock is taken over', () => {
    const journal = open();
    assert.throws(() => open(), isUnavailable);
    journal.close();
    // A pid that existed and is gone: a child that has already exited.
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(dir, 'journal-node-a.jsonl.lock'), `${exited.stdout}\n`);
    const reopened = open();
    reopened.close();
  });

  it('refuses a journal holding another node’s records and a bad node id', () => {
    const journal = open();
    journal.append(revoked('a'));
    journal.close();
    writeFileSync(join(dir, 'journal-node-b.jsonl'), readFileSync(journal.path));
    const wrongNode = (err: unknown) =>
      isUnavailable(err) && /records of node "node-a"/.test((err as Error).message);
    assert.throws(() => Journal.open({ dir, node: 'node-b', clock, key }), wrongNode);
    // The failed open released its lock: trying again meets the same problem, not "in use".
    assert.throws(() => Journal.open({ dir, node: 'node-b', clock, key }), wrongNode);
    assert.throws(
      () => Journal.open({ dir, node: '../evil', clock, key }),
      (err: AirlockError) => err.code === 'ERR_CONFIG_INVALID',
    );
  });

  it('continues after the store’s anchor when its own file was lost', () => {
    const hash = 'ab'.repeat(32);
    const journal = open({ resumeFrom: { seq: 40, hash } });
    try {
      const next = journal.append(revoked('a'));
      assert.equal(next.seq, 41);
      assert.equal(next.prevHash, hash);
    } finally {
      journal.close();
    }
  });

  it('rotates only when nothing was appended since the caller looked, keeping the chain head', () => {
    const journal = open();
    journal.append(revoked('a'));
    const last = journal.append(revoked('b'));
    assert.equal(journal.rotate({ size: journal.size - 1, seq: 2 }), false);
    assert.equal(journal.rotate({ size: journal.size, seq: 1 }), false);
    assert.equal(journal.rotate({ size: journal.size, seq: 2 }), true);
    assert.equal(journal.size, 0);
    assert.equal(statSync(journal.path).size, 0);
    const next = journal.append(revoked('c'));
    assert.equal(next.seq, 3);
    assert.equal(next.prevHash, last.hash);
    assert.deepEqual(
      fileRecords(journal.path).map((r) => r.seq),
      [3],
    );
    assert.equal(journal.rotate({ size: journal.size, seq: 3 }), true);
    journal.close();
    // The head survives a restart through the signed state file.
    const reopened = open();
    assert.equal(reopened.seq, 3);
    reopened.close();
  });

  it('refuses a state file that does not verify with the node key', () => {
    const journal = open();
    journal.append(revoked('a'));
    journal.rotate({ size: journal.size, seq: 1 });
    journal.close();
    const statePath = join(dir, 'journal-node-a.state');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { seq: number };
    writeFileSync(statePath, JSON.stringify({ ...state, seq: 1000 }));
    assert.throws(() => open(), isUnavailable);
    assert.throws(
      () => Journal.open({ dir, node: 'node-a', clock, key: Buffer.alloc(32, 1) }),
      isUnavailable,
    );
  });

  it('writes a batch with one write at commit; nothing of it is visible or in the file before', () => {
    const writes: string[] = [];
    const journal = open({
      write: (fd, text) => {
        writes.push(text);
        writeSync(fd, text);
      },
    });
    const heard: number[] = [];
    journal.subscribe((record) => heard.push(record.seq));
    try {
      journal.begin();
      const a = journal.append(revoked('a'));
      const b = journal.append(revoked('b'));
      assert.equal(b.prevHash, a.hash);
      assert.equal(journal.seq, 0, 'seq describes the file, not the open batch');
      assert.equal(statSync(journal.path).size, 0);
      assert.deepEqual(heard, []);
      journal.commit();
      assert.equal(writes.length, 1);
      assert.deepEqual(
        fileRecords(journal.path).map((r) => r.seq),
        [1, 2],
      );
      assert.equal(journal.seq, 2);
      assert.equal(journal.size, statSync(journal.path).size);
      assert.deepEqual(heard, [1, 2]);
    } finally {
      journal.close();
    }
  });

  it('a batch that cannot be written throws at commit, leaves nothing, and the chain continues from the file', () => {
    let fail = false;
    const journal = open({
      write: (fd, text) => {
        if (fail) {
          // A short write: half of the batch reaches the file before the error.
          writeSync(fd, text.slice(0, Math.floor(text.length / 2)));
          throw new Error('ENOSPC (test)');
        }
        writeSync(fd, text);
      },
    });
    try {
      const first = journal.append(revoked('a'));
      fail = true;
      journal.begin();
      journal.append(revoked('lost-1'));
      journal.append(revoked('lost-2'));
      assert.throws(() => journal.commit(), isUnavailable);
      assert.equal(journal.seq, 1);
      assert.equal(journal.failures, 1);
      fail = false;
      const next = journal.append(revoked('c'));
      assert.equal(next.seq, 2);
      assert.equal(next.prevHash, first.hash);
      const records = fileRecords(journal.path);
      assert.deepEqual(
        records.map((r) => (r as { name?: string }).name),
        ['a', 'c'],
      );
      for (const record of records) assert.equal(checkRecordHash(record as never), undefined);
    } finally {
      journal.close();
    }
  });

  it('writes deferred records after this turn of the event loop, with the next write, and at close', async () => {
    const writes: string[] = [];
    const journal = open({
      write: (fd, text) => {
        writes.push(text);
        writeSync(fd, text);
      },
    });
    try {
      journal.appendDeferred(revoked('later-1'));
      journal.appendDeferred(revoked('later-2'));
      assert.equal(journal.seq, 0);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(writes.length, 1, 'both deferred records in one write');
      assert.equal(journal.seq, 2);

      journal.appendDeferred(revoked('later-3'));
      journal.append(revoked('now'));
      assert.equal(writes.length, 2, 'the deferred record goes with the next write, in chain order');
      assert.deepEqual(
        fileRecords(journal.path).map((r) => (r as { name?: string }).name),
        ['later-1', 'later-2', 'later-3', 'now'],
      );
      journal.appendDeferred(revoked('at-close'));
    } finally {
      journal.close();
    }
    assert.equal(
      (fileRecords(journal.path).at(-1) as { name?: string }).name,
      'at-close',
      'close writes what is still sealed',
    );
  });
});
