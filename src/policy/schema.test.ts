import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkParseSchema } from '@cedar-policy/cedar-wasm/nodejs';
import { ALL_SQL_ACTIONS } from '../protocols/postgres/classify/actions.js';
import { cedarSchema, KNOWN_SQL_ACTIONS } from './schema.js';

describe('Cedar schema', () => {
  it('parses', () => {
    assert.deepEqual(checkParseSchema(cedarSchema()), { type: 'success' });
  });

  it('names exactly the actions the PostgreSQL classifier produces', () => {
    assert.deepEqual([...KNOWN_SQL_ACTIONS].sort(), [...ALL_SQL_ACTIONS].sort());
  });
});
