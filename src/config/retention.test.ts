import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from './validate.js';

const options = { file: '/etc/airlock/airlock.yaml', env: {}, hostname: 'gw-1' };
const parse = (yaml: string) => parseConfig(`store: sqlite:./a.db\n${yaml}\n`, options);

describe('retention', () => {
  test('reads the periods as written and in ms', () => {
    const { config, problems } = parse('retention: { audit: 400d, recordings: 90d }');
    assert.deepEqual(problems, []);
    assert.deepEqual(config?.retention, {
      audit: { text: '400d', ms: 400 * 86_400_000 },
      recordings: { text: '90d', ms: 90 * 86_400_000 },
    });
  });

  test('absent means keep forever', () => {
    assert.deepEqual(parse('').config?.retention, {});
    assert.deepEqual(parse('retention: { recordings: 2w }').config?.retention, {
      recordings: { text: '2w', ms: 14 * 86_400_000 },
    });
  });

  test('refuses periods that are not durations, are under a day, or unknown keys', () => {
    const { problems } = parse('retention: { audit: 400m, recordings: 90, days: 3 }');
    const expected = 'a duration of at least one day, such as 90d, 400d or 52w';
    assert.deepEqual(problems, [
      'unknown key "days" in retention; known keys: audit, recordings',
      `retention.audit: expected ${expected}, received "400m"`,
      `retention.recordings: expected ${expected}, received 90`,
    ]);
    assert.deepEqual(parse('retention: forever').problems, [
      'retention: expected a mapping such as {audit: 400d, recordings: 90d}, received "forever"',
    ]);
  });
});
