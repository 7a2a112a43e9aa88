import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPgbouncerIni, renderUserlist } from './pgbouncer.js';

test('the userlist quotes the name and password and doubles embedded quotes', () => {
  assert.equal(renderUserlist('bench', 'pa"ss'), '"bench" "pa""ss"\n');
});

test('the ini pools the bench database in session mode on the given ports', () => {
  const ini = renderPgbouncerIni({
    listenPort: 6543,
    serverHost: '127.0.0.1',
    serverPort: 5999,
    database: 'bench',
    user: 'bench',
    password: 'secret',
    authFile: '/tmp/x/userlist.txt',
  });
  const lines = ini.split('\n');
  for (const expected of [
    'bench = host=127.0.0.1 port=5999 dbname=bench',
    'listen_addr = 127.0.0.1',
    'listen_port = 6543',
    'pool_mode = session',
    'max_client_conn = 2000',
    'default_pool_size = 100',
    'auth_type = scram-sha-256',
    'auth_file = /tmp/x/userlist.txt',
    'ignore_startup_parameters = extra_float_digits,options',
  ]) {
    assert.ok(lines.includes(expected), `missing line: ${expected}`);
  }
  // The password lives only in the userlist, never in the ini.
  assert.doesNotMatch(ini, /secret/);
});
