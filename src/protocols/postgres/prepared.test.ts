import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreparedState } from './prepared.js';

test('named statements keep their first text, as the server refuses a duplicate Parse', () => {
  const state = new PreparedState();
  state.parse('s1', 'select 1');
  state.parse('s1', 'drop table t');
  state.commit();
  assert.equal(state.statementText('s1'), 'select 1');
  state.parse('', 'select 2');
  state.parse('', 'select 3');
  assert.equal(state.statementText(''), 'select 3');
});

test('rollback undoes a refused batch, commit keeps it', () => {
  const state = new PreparedState();
  state.parse('s1', 'select 1');
  state.bind('p', { text: 'select 1', parameters: ['a'] });
  state.commit();
  state.parse('s2', 'select 2');
  state.bind('p', { text: 'select 2', parameters: [] });
  state.close('S', 's1');
  state.rollback();
  assert.equal(state.statementText('s1'), 'select 1');
  assert.equal(state.statementText('s2'), undefined);
  assert.deepEqual(state.portal('p'), { text: 'select 1', parameters: ['a'] });
  state.close('P', 'p');
  state.commit();
  assert.equal(state.portal('p'), undefined);
});
