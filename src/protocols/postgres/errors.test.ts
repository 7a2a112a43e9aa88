import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../../core/errors.js';
import { decodeBackend } from './codec/backend-decoder.js';
import { BackendParser } from './codec/parser.js';
import { convertUpstreamError, toWireError } from './errors.js';

function decodeError(bytes: Buffer) {
  let decoded: ReturnType<typeof decodeBackend> | undefined;
  new BackendParser().parse(bytes, (frame) => {
    decoded = decodeBackend(frame);
  });
  assert.equal(decoded?.name, 'errorResponse');
  return decoded.name === 'errorResponse' ? decoded.fields : assert.fail();
}

test('toWireError: catalog SQLSTATE and severity, client message, detail, action as hint', () => {
  const fields = decodeError(
    toWireError(new AirlockError('ERR_POLICY_DENIED', 'operator text', { detail: 'rule r1' })),
  );
  assert.deepEqual(
    [fields.severity, fields.code, fields.message, fields.detail, fields.hint],
    [
      'ERROR',
      '42501',
      'the statement was denied by policy',
      'rule r1',
      'Change the statement, or ask an admin about the rule named in the detail.',
    ],
  );
  assert.equal(decodeError(toWireError(new AirlockError('ERR_POLICY_DENIED'), 'FATAL')).severity, 'FATAL');
  assert.equal(decodeError(toWireError(new AirlockError('ERR_TOKEN_INVALID'))).code, '28P01');
});

const target = '10.1.2.3:6432';
const fields = (code: string, message: string) => ({ severity: 'FATAL', code, message, all: new Map() });

test('convertUpstreamError maps the server refusal by SQLSTATE class, never showing the target', () => {
  const auth = convertUpstreamError(
    { fields: fields('28P01', 'password authentication failed') },
    target,
    'auth',
  );
  assert.equal(auth.code, 'ERR_UPSTREAM_AUTH_FAILED');
  const busy = convertUpstreamError({ fields: fields('53300', 'too many clients') }, target, 'startup');
  assert.equal(busy.code, 'ERR_UPSTREAM_UNREACHABLE');
  const setting = convertUpstreamError(
    { fields: fields('22023', 'invalid value for parameter "TimeZone"') },
    target,
    'startup',
  );
  assert.equal(setting.code, 'ERR_UPSTREAM_UNREACHABLE');
  assert.equal(setting.detail, 'invalid value for parameter "TimeZone"');
  for (const err of [auth, busy, setting]) {
    assert.ok(err.message.includes(target), 'operators see the target');
    assert.ok(!err.userMessage.includes('10.1.2.3') && !err.userMessage.includes('6432'));
  }
});

test('convertUpstreamError: socket errors are unreachable, or TLS failures during the TLS phase', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6432'), { code: 'ECONNREFUSED' });
  const unreachable = convertUpstreamError({ error: refused }, target, 'connect');
  assert.equal(unreachable.code, 'ERR_UPSTREAM_UNREACHABLE');
  assert.equal(unreachable.userMessage, 'the target database could not be reached');
  const tls = convertUpstreamError({ error: new Error('self-signed certificate') }, target, 'tls');
  assert.equal(tls.code, 'ERR_UPSTREAM_TLS_FAILED');
  assert.ok(!tls.userMessage.includes('6432'));
});
