import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../../../core/errors.js';
import { newDraft } from './draft.js';
import { noteSetting } from './settings.js';

const refused = (err: unknown) => isAirlockError(err) && err.code === 'ERR_BAD_REQUEST';

test('standard_conforming_strings: only on-spellings pass; run-time values are dynamic', () => {
  for (const on of ['on', 'true', 'TRUE', 'yes', '1', 't', 'y']) {
    const d = newDraft('sql.set');
    noteSetting(d, 'standard_conforming_strings', { kind: 'value', text: on });
    assert.equal(d.flags.dynamicSql, false, on);
  }
  for (const off of ['off', 'false', '0', 'no', 'of', 'nonsense']) {
    assert.throws(
      () => noteSetting(newDraft('sql.set'), 'STANDARD_CONFORMING_STRINGS', { kind: 'value', text: off }),
      refused,
    );
  }
  const d = newDraft('sql.set');
  noteSetting(d, 'standard_conforming_strings', { kind: 'unknown' });
  assert.equal(d.flags.dynamicSql, true);
  noteSetting(newDraft('sql.set'), 'standard_conforming_strings', { kind: 'default' });
});

test('client encodings whose characters can end in a quote or backslash byte are refused, in any spelling', () => {
  for (const name of [
    'SJIS',
    'Shift_JIS',
    'shift-jis-2004',
    'BIG5',
    'gbk',
    'GB18030',
    'UHC',
    'JOHAB',
    'WIN932',
    'windows-936',
  ]) {
    assert.throws(
      () => noteSetting(newDraft('sql.set'), 'client_encoding', { kind: 'value', text: name }),
      refused,
      name,
    );
  }
  for (const name of ['UTF8', 'utf-8', 'LATIN1', 'EUC_JP', 'WIN1252', 'SQL_ASCII']) {
    noteSetting(newDraft('sql.set'), 'client_encoding', { kind: 'value', text: name });
  }
});

test('role settings set setsRole; read-only settings say which way they go', () => {
  const role = newDraft('sql.set');
  noteSetting(role, 'Role', { kind: 'value', text: 'admin' });
  assert.equal(role.flags.setsRole, true);
  assert.deepEqual([...role.settings], ['role']);
  const rw = newDraft('sql.set');
  noteSetting(rw, 'default_transaction_read_only', { kind: 'value', text: 'off' });
  assert.equal(rw.extra.readWrite, true);
  const ro = newDraft('sql.set');
  noteSetting(ro, 'transaction_read_only', { kind: 'value', text: 'on' });
  assert.equal(ro.extra.readWrite, false);
});
