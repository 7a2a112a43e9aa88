import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AuditEventBody } from './events.js';
import { Journal } from './journal.js';
import { JournalFeed } from './journal-feed.js';
import { JournalReader } from './journal-file.js';

const key = Buffer.alloc(32, 1);
const actor = { subject: 'op', kind: 'human' as const, groups: [], issuer: 'local', chain: [] };
const event = (name: string): AuditEventBody => ({ type: 'token.revoked', name, actor });

describe('JournalFeed', () => {
  let dir: string;
  let journal: Journal;
  let reader: JournalReader;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-feed-'));
    journal = Journal.open({ dir, node: 'n', clock: new ManualClock(0), key });
    reader = new JournalReader(await open(journal.path, 'r'));
  });
  afterEach(async () => {
    await reader.close();
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A feed following `journal`, with a memory of `limit` records. */
  function follow(limit: number): JournalFeed {
    const feed = new JournalFeed(journal, reader, limit);
    journal.subscribe((record, line) => feed.onAppend(record, line));
    return feed;
  }

  /** Upper-cases every name in the file (same length): a read then shows where it came from. */
  function tamperFile(): void {
    const text = readFileSync(journal.path, 'utf8');
    writeFileSync(
      journal.path,
      text.replace(/"name":"([a-z])"/g, (_, name: string) => `"name":"${name.toUpperCase()}"`),
    );
  }

  const names = (chunk: { entries: readonly { record: unknown }[] }) =>
    chunk.entries.map((e) => (e.record as { name: string }).name);

  it('reads the file until it has caught up, then holds new records in memory', async () => {
    journal.append(event('a'));
    const feed = follow(10);
    journal.append(event('b'));
    assert.equal(feed.held, 0, 'not caught up yet: nothing held');
    let chunk = await feed.read(10, journal.size);
    assert.deepEqual(names(chunk), ['a', 'b']);
    feed.advance(chunk.nextOffset);
    journal.append(event('c'));
    journal.append(event('d'));
    assert.equal(feed.held, 2);
    const before = readFileSync(journal.path, 'utf8');
    tamperFile();
    chunk = await feed.read(1, journal.size);
    assert.deepEqual(names(chunk), ['c'], 'from memory, at most `max`');
    assert.equal(chunk.entries[0]?.json, before.split('\n')[2], 'with the exact line');
    feed.advance(chunk.nextOffset);
    chunk = await feed.read(10, journal.size);
    assert.deepEqual(names(chunk), ['d']);
    assert.equal(chunk.nextOffset, journal.size);
    feed.advance(chunk.nextOffset);
    assert.equal(feed.held, 0);
  });

  it('holds every record of a batch and of deferred appends, each at its own place in the file', async () => {
    const feed = follow(10);
    feed.advance(0); // caught up with the empty file: holding from here
    journal.begin();
    journal.append(event('a'));
    journal.append(event('b'));
    journal.commit();
    journal.appendDeferred(event('c'));
    journal.append(event('d'));
    assert.equal(feed.held, 4, 'all in memory: none looked out of place');
    tamperFile();
    const chunk = await feed.read(10, journal.size);
    assert.deepEqual(names(chunk), ['a', 'b', 'c', 'd'], 'served from memory');
    assert.equal(chunk.nextOffset, journal.size);
  });

  it('reads nothing past `until`, from memory or the file', async () => {
    const feed = follow(10);
    feed.advance(0);
    journal.append(event('a'));
    const until = journal.size;
    journal.append(event('b'));
    const chunk = await feed.read(10, until);
    assert.deepEqual(names(chunk), ['a']);
    assert.equal(chunk.nextOffset, until);
  });

  it('falls back to the file past its limit and holds again once the file is caught up', async () => {
    const feed = follow(2);
    feed.advance(0);
    for (const name of ['a', 'b', 'c']) journal.append(event(name));
    assert.equal(feed.held, 0, 'the third record overflowed the memory: all dropped');
    journal.append(event('d'));
    assert.equal(feed.held, 0, 'nothing held until caught up');
    tamperFile();
    const chunk = await feed.read(10, journal.size);
    assert.deepEqual(names(chunk), ['A', 'B', 'C', 'D'], 'from the file');
    feed.advance(chunk.nextOffset);
    journal.append(event('e'));
    assert.equal(feed.held, 1, 'caught up: holding again');
  });

  it('starts over at zero after a rotation', async () => {
    const feed = follow(10);
    feed.advance(0);
    journal.append(event('a'));
    const chunk = await feed.read(10, journal.size);
    feed.advance(chunk.nextOffset);
    assert.equal(journal.rotate({ size: feed.offset, seq: journal.seq }), true);
    feed.rotated();
    journal.append(event('b'));
    const next = await feed.read(10, journal.size);
    assert.deepEqual(names(next), ['b']);
    assert.equal(next.nextOffset, journal.size);
  });
});
