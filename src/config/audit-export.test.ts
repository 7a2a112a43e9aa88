import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from './validate.js';

const options = { file: '/etc/airlock/airlock.yaml', env: { HOOK_SECRET: 's' }, hostname: 'gw-1' };

function parse(audit: string) {
  return parseConfig(`store: sqlite:./a.db\n${audit}\n`, options);
}

describe('audit.export', () => {
  test('reads both sink types with paths resolved and durations in ms', () => {
    const { config, problems, warnings } = parse(`audit:
  export:
    - { name: siem-file, type: jsonl, path: ./audit/export.jsonl, rotate: { maxBytes: 10485760, daily: true } }
    - { name: siem-hook, type: webhook, url: https://siem.example/ingest, secret: { env: HOOK_SECRET }, batchSize: 100, flushInterval: 1s }`);
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config?.audit?.export, [
      {
        name: 'siem-file',
        type: 'jsonl',
        batchSize: 100,
        flushIntervalMs: 1000,
        path: '/etc/airlock/audit/export.jsonl',
        rotateMaxBytes: 10485760,
        rotateDaily: true,
      },
      {
        name: 'siem-hook',
        type: 'webhook',
        batchSize: 100,
        flushIntervalMs: 1000,
        url: 'https://siem.example/ingest',
        secret: { env: 'HOOK_SECRET' },
        timeoutMs: 10_000,
        deadLetterAfter: 10,
      },
    ]);
  });

  test('deadLetterAfter: attempts at a permanently refused batch, 1 to 1000', () => {
    const { config, problems } = parse(`audit:
  export:
    - { name: a, type: webhook, url: https://siem.example/, secret: { env: HOOK_SECRET }, deadLetterAfter: 3 }`);
    assert.deepEqual(problems, []);
    assert.equal(config?.audit?.export[0]?.type === 'webhook' && config.audit.export[0].deadLetterAfter, 3);
    const bad = parse(`audit:
  export:
    - { name: a, type: webhook, url: https://siem.example/, secret: { env: HOOK_SECRET }, deadLetterAfter: 0 }
    - { name: b, type: jsonl, path: ./x, deadLetterAfter: 2 }`);
    assert.deepEqual(bad.problems, [
      'audit.export[0].deadLetterAfter: expected an integer from 1 to 1000 (attempts before a refused batch is dead-lettered), received 0',
      'unknown key "deadLetterAfter" in audit.export[1]; known keys: name, type, batchSize, flushInterval, path, rotate',
    ]);
  });

  test('no audit block means no sinks', () => {
    assert.deepEqual(parse('').config?.audit, { export: [] });
  });

  test('names every problem with its key path', () => {
    const { config, problems } = parse(`audit:
  export:
    - { name: a, type: kafka }
    - { name: b, type: webhook, url: ftp://x, secret: { vault: x }, batchSize: 0, flushInterval: soon }
    - { name: c, type: jsonl, rotate: { maxBytes: 10, daily: yes, hourly: true } }
    - { name: "d d", type: webhook, url: "https://u:p@siem.example/", secret: { env: X } }
    - { name: e, type: jsonl, path: ./x }
    - { name: e, type: jsonl, path: ./y, color: red }`);
    assert.equal(config, undefined);
    assert.deepEqual(problems, [
      'audit.export[0].type: expected "jsonl" or "webhook", received "kafka"',
      'audit.export[1].batchSize: expected an integer from 1 to 10000, received 0',
      'audit.export[1].flushInterval: expected a duration such as 500ms, 1s or 1m, received "soon"',
      'audit.export[1].url: expected an http:// or https:// URL, received "ftp://x"',
      'audit.export[1].secret: expected {env: NAME} or {file: PATH}, received a mapping',
      'audit.export[2].path: required key is missing (expected a file path)',
      'unknown key "hourly" in audit.export[2].rotate; known keys: maxBytes, daily',
      'audit.export[2].rotate.maxBytes: expected a whole number of bytes, at least 1024, received 10',
      'audit.export[2].rotate.daily: expected true or false, received "yes"',
      'audit.export[3].name: expected letters, digits, ".", "_" or "-" (at most 63), received "d d"',
      'audit.export[3].url: credentials in the URL are not allowed; the body is signed with `secret`',
      'unknown key "color" in audit.export[5]; known keys: name, type, batchSize, flushInterval, path, rotate',
      'audit.export[5].name: sink name "e" is used twice',
    ]);
  });

  test('warns about plain http to another host, unset variables and literal secrets', () => {
    const { problems, warnings } = parse(`audit:
  export:
    - { name: a, type: webhook, url: http://siem.example/, secret: { env: NOPE } }
    - { name: b, type: webhook, url: http://127.0.0.1:9/, secret: literal }`);
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, [
      'audit.export[0].url: audit events would travel unencrypted; use https://',
      'audit.export[0].secret: environment variable NOPE is not set',
      'audit.export[1].secret: a literal secret is stored in the config file; use {env: ...} or {file: ...}',
    ]);
  });
});
