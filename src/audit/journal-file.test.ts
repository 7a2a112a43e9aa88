import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GENESIS_HASH, sealEventLine } from './chain.js';
import type { AuditEventBody } from './events.js';
import { JournalReader, parseJournalLine, readState, recoverTail, writeState } from './journal-file.js';

function line(seq: number, text = 'x'): string {
  const body: AuditEventBody = {
    type: 'token.revoked',
    actor: { subject: 'op', kind: 'human', groups: [], issuer: 'local', chain: [] },
    name: text,
  };
  return sealEventLine(body, { node: 'n', seq, time: 't', prevHash: GENESIS_HASH }).json;
}

describe('journal file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-jfile-'));
    path = join(dir, 'journal-n.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses only lines that carry a whole sealed record', () => {
    assert.equal(parseJournalLine(line(1))?.seq, 1);
    for (const bad of [
      '',
      'null',
      '[]',
      '{"seq":1}',
      '{"seq":"1","type":"x","node":"n","time":"t","prevHash":"p","hash":"h"}',
    ]) {
      assert.equal(parseJournalLine(bad), undefined, bad);
    }
  });

  it('recovers the last record across a long last line and cuts what follows it', () => {
    const long = line(2, 'y'.repeat(200_000));
    writeFileSync(path, `${line(1)}\n${long}\n{"torn`);
    const tail = recoverTail(path);
    assert.equal(tail.last?.seq, 2);
    assert.equal(tail.truncatedBytes, '{"torn'.length);
    assert.equal(readFileSync(path, 'utf8'), `${line(1)}\n${long}\n`);
    writeFileSync(path, 'no newline at all');
    assert.deepEqual(recoverTail(path), { last: undefined, size: 0, truncatedBytes: 17, droppedLines: 0 });
  });

  it('reads whole lines in batches, growing its buffer for lines longer than it', async () => {
    const huge = line(2, 'z'.repeat(3 * 1024 * 1024));
    const text = `${line(1)}\n${huge}\n${line(3)}\nnot json\n${line(4)}\n`;
    writeFileSync(path, text);
    const reader = new JournalReader(await open(path, 'r'));
    try {
      const end = Buffer.byteLength(text);
      const first = await reader.read(0, end, 2);
      assert.deepEqual(
        first.entries.map((e) => e.record.seq),
        [1, 2],
      );
      assert.equal(first.entries[1]?.json, huge);
      const rest = await reader.read(first.nextOffset, end, 10);
      assert.deepEqual(
        rest.entries.map((e) => e.record.seq),
        [3, 4],
      );
      assert.equal(rest.corrupt, 1);
      assert.equal(rest.nextOffset, end);
      // A range that ends mid-line yields nothing past the last whole line.
      const partial = await reader.read(0, Buffer.byteLength(line(1)) + 5, 10);
      assert.equal(partial.entries.length, 1);
      assert.equal(partial.nextOffset, Buffer.byteLength(line(1)) + 1);
    } finally {
      await reader.close();
    }
  });

  it('saves and reads back the signed head', () => {
    const key = Buffer.alloc(32, 5);
    const state = join(dir, 'journal-n.state');
    assert.equal(readState(state, 'n', key), undefined);
    writeState(state, 'n', key, { seq: 12, hash: 'ab'.repeat(32) });
    assert.deepEqual(readState(state, 'n', key), { seq: 12, hash: 'ab'.repeat(32) });
    assert.throws(() => readState(state, 'other-node', key), /does not verify/);
    writeFileSync(state, '{');
    assert.throws(() => readState(state, 'n', key), /not JSON/);
  });
});
