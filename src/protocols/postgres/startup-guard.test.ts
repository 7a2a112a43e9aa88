import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsafeStartupSetting } from './startup-guard.js';

const none = new Map<string, string>();

test('harmless startup settings pass', () => {
  assert.equal(unsafeStartupSetting(none, ''), undefined);
  assert.equal(unsafeStartupSetting(none, '-c statement_timeout=5000 --DateStyle=ISO'), undefined);
  assert.equal(unsafeStartupSetting(new Map([['client_encoding', 'UTF8']]), ''), undefined);
});

test('settings that change who runs SQL or how it is read are refused with a reason', () => {
  assert.match(unsafeStartupSetting(none, '-c role=postgres') ?? '', /startup setting role is not forwarded/);
  assert.match(
    unsafeStartupSetting(none, '-cstandard_conforming_strings=off') ?? '',
    /standard_conforming_strings/,
  );
  assert.match(unsafeStartupSetting(none, '--search-path=evil,pg_catalog') ?? '', /search_path/);
  assert.match(unsafeStartupSetting(none, '-c client_encoding=SJIS') ?? '', /client_encoding SJIS/);
  assert.match(
    unsafeStartupSetting(new Map([['client_encoding', 'big5']]), '') ?? '',
    /client_encoding big5/,
  );
  assert.match(unsafeStartupSetting(none, '-B 100') ?? '', /startup option "-B" is not forwarded/);
});
