import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from './validate.js';

const options = { file: '/etc/airlock/airlock.yaml', env: {}, hostname: 'gw-1' };
const parse = (yaml: string) => parseConfig(`store: sqlite:./a.db\n${yaml}\n`, options);

describe('recordings', () => {
  test('dir resolves against the config file; absent means <stateDir>/recordings', () => {
    assert.deepEqual(parse('recordings: { dir: ./rec }').config?.recordings, { dir: '/etc/airlock/rec' });
    assert.deepEqual(parse('recordings: { dir: /var/lib/airlock-rec }').config?.recordings, {
      dir: '/var/lib/airlock-rec',
    });
    assert.deepEqual(parse('').config?.recordings, { dir: '/etc/airlock/recordings' });
    assert.deepEqual(parse('stateDir: /srv/state').config?.recordings, { dir: '/srv/state/recordings' });
  });

  test('refuses a dir that is not a path, unknown keys, and folders whose .jsonl files are not recordings', () => {
    const { problems } = parse(
      [
        'stateDir: /srv/state',
        'recordings: { dir: 42, keep: true }',
        'audit: { export: [{ name: f, type: jsonl, path: /srv/export/a.jsonl }] }',
      ].join('\n'),
    );
    assert.deepEqual(problems, [
      'unknown key "keep" in recordings; known keys: dir',
      'recordings.dir: expected a folder path, received 42',
    ]);
    // Retention deletes old `.jsonl` files there: the journal, a JSONL sink or dead letters would go.
    for (const [dir, why] of [
      ['/srv/state', /the audit journal/],
      ['/srv/state/export-dead-letter', /dead-letter/],
      ['/srv/export', /export sink f/],
    ] as const) {
      const checked = parse(
        `stateDir: /srv/state\nrecordings: { dir: "${dir}" }\naudit: { export: [{ name: f, type: jsonl, path: /srv/export/a.jsonl }] }`,
      );
      assert.equal(checked.problems.length, 1, checked.problems.join('\n'));
      assert.match(checked.problems[0]!, /^recordings\.dir: /);
      assert.match(checked.problems[0]!, why);
    }
  });
});
