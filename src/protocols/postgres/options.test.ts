import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractAirlockOptions, joinOptions, splitOptions } from './options.js';

test('splitOptions follows libpq: whitespace separates, backslash escapes', () => {
  assert.deepEqual(splitOptions('  -c a=b   -c\tc=d\\ e  '), ['-c', 'a=b', '-c', 'c=d e']);
  assert.deepEqual(splitOptions('-c x=back\\\\slash'), ['-c', 'x=back\\slash']);
  assert.deepEqual(splitOptions(''), []);
  assert.deepEqual(splitOptions('trailing\\'), ['trailing\\']);
});

test('joinOptions reverses splitOptions', () => {
  const args = ['-c', 'search_path=a b', 'x\\y', '--work-mem=4MB'];
  assert.deepEqual(splitOptions(joinOptions(args)), args);
});

test('airlock.reason in all three spellings is extracted and removed', () => {
  for (const options of [
    '-c airlock.reason=ticket\\ 42',
    '-cairlock.reason=ticket\\ 42',
    '--airlock.reason=ticket\\ 42',
    '-c AIRLOCK.REASON=ticket\\ 42',
  ]) {
    const parsed = extractAirlockOptions(`-c statement_timeout=5s ${options} -c search_path=app`);
    assert.equal(parsed.settings.get('reason'), 'ticket 42', options);
    assert.equal(parsed.upstream, '-c statement_timeout=5s -c search_path=app', options);
  }
});

test('options without airlock settings pass through unchanged in meaning', () => {
  const parsed = extractAirlockOptions('-c search_path=my\\ schema');
  assert.equal(parsed.settings.size, 0);
  assert.deepEqual(splitOptions(parsed.upstream), ['-c', 'search_path=my schema']);
  assert.equal(extractAirlockOptions(undefined).upstream, '');
  assert.equal(extractAirlockOptions('-c airlock.reason=x').upstream, '');
});
