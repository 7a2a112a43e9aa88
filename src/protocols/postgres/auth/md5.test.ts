import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { md5PasswordResponse } from './md5.js';

test('md5 response is "md5" + md5(md5(password + user) + salt)', () => {
  const salt = Buffer.from([0x01, 0x02, 0x03, 0x04]);
  // Computed by hand from the definition, independently of the implementation's helpers.
  const inner = createHash('md5').update('secretapp').digest('hex');
  const outer = createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex');
  assert.equal(md5PasswordResponse('app', 'secret', salt), `md5${outer}`);
});

test('a known vector: user postgres, password postgres, salt 0xdeadbeef', () => {
  // md5("postgrespostgres") = 3175bce1d3201d16594cebf9d7eb3f9d (PostgreSQL's stored rolpassword).
  const stored = createHash('md5').update('postgrespostgres').digest('hex');
  assert.equal(stored, '3175bce1d3201d16594cebf9d7eb3f9d');
  const response = md5PasswordResponse('postgres', 'postgres', Buffer.from('deadbeef', 'hex'));
  assert.match(response, /^md5[0-9a-f]{32}$/);
  assert.equal(
    response,
    `md5${createHash('md5')
      .update(Buffer.concat([Buffer.from(stored), Buffer.from('deadbeef', 'hex')]))
      .digest('hex')}`,
  );
});
