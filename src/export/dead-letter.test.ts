import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendDeadLetters, deadLetterPath, isPermanentStatus } from './dead-letter.js';

test('permanent: 4xx but timeouts, too-early and rate limits; never 5xx', () => {
  for (const status of [400, 401, 403, 404, 409, 410, 413, 415, 422])
    assert.equal(isPermanentStatus(status), true);
  for (const status of [200, 302, 408, 425, 429, 500, 502, 503])
    assert.equal(isPermanentStatus(status), false);
});

test('appends one line per event with the stored record spliced in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-dead-letter-'));
  try {
    const file = deadLetterPath(join(dir, 'export-dead-letter'), 'hook');
    const records = ['{"seq":7,"text":"select \\"x\\""}', '{"seq":8}'];
    const why = { status: 422, attempts: 3, error: 'POST to http://127.0.0.1:9 answered HTTP 422', at: 'T' };
    await appendDeadLetters(file, 'hook', { node: 'n', events: [{ seq: 7, record: records[0]! }] }, why);
    await appendDeadLetters(file, 'hook', { node: 'n', events: [{ seq: 8, record: records[1]! }] }, why);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((l) => l.slice(l.indexOf('"record":') + 9, -1)),
      records,
    );
    assert.deepEqual(JSON.parse(lines[0]!), {
      sink: 'hook',
      node: 'n',
      seq: 7,
      status: 422,
      attempts: 3,
      error: why.error,
      at: 'T',
      record: { seq: 7, text: 'select "x"' },
    });
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
