import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backend, frontend } from '../testing/builders.js';
import { decodeBackend } from './backend-decoder.js';
import { TransactionStatus } from './codes.js';
import { decodeFrontend, decodeStartup } from './frontend-decoder.js';
import { BackendParser, FrontendParser } from './parser.js';
import * as serialize from './serializer.js';

test('constant backend messages match the protocol', () => {
  assert.deepEqual(serialize.authenticationCleartextPassword, backend.cleartextPassword());
  assert.deepEqual(serialize.authenticationOk, backend.authenticationOk());
  assert.deepEqual(serialize.readyForQuery(TransactionStatus.Idle), backend.readyForQuery('I'));
  assert.deepEqual(serialize.readyForQuery(TransactionStatus.InTransaction), backend.readyForQuery('T'));
  assert.deepEqual(serialize.readyForQuery(TransactionStatus.Failed), backend.readyForQuery('E'));
  assert.deepEqual(serialize.sslAccepted, Buffer.from('S'));
  assert.deepEqual(serialize.sslRefused, Buffer.from('N'));
});

test('ErrorResponse carries both severity fields, SQLSTATE, message, detail and hint', () => {
  const bytes = serialize.errorResponse({
    severity: 'FATAL',
    code: '28P01',
    message: 'the token has expired',
    detail: 'token "ci"',
    hint: 'Get a fresh token.',
  });
  assert.deepEqual(
    bytes,
    backend.error({
      S: 'FATAL',
      V: 'FATAL',
      C: '28P01',
      M: 'the token has expired',
      D: 'token "ci"',
      H: 'Get a fresh token.',
    }),
  );
  let decoded: ReturnType<typeof decodeBackend> | undefined;
  new BackendParser().parse(bytes, (frame) => {
    decoded = decodeBackend(frame);
  });
  assert.equal(decoded?.name, 'errorResponse');
});

test('NoticeResponse without optional fields omits them', () => {
  assert.deepEqual(
    serialize.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' }),
    backend.notice({ S: 'NOTICE', V: 'NOTICE', C: '00000', M: 'hi' }),
  );
});

test('ParameterStatus, BackendKeyData and NegotiateProtocolVersion', () => {
  assert.deepEqual(serialize.parameterStatus('TimeZone', 'UTC'), backend.parameterStatus('TimeZone', 'UTC'));
  assert.deepEqual(
    serialize.backendKeyData(123, Buffer.from([1, 2, 3, 4])),
    backend.backendKeyData(123, Buffer.from([1, 2, 3, 4])),
  );
  assert.deepEqual(
    serialize.negotiateProtocolVersion(0, ['_pq_.a', '_pq_.b']),
    backend.negotiateProtocolVersion(0, ['_pq_.a', '_pq_.b']),
  );
});

test('frontend messages to the upstream match the protocol', () => {
  assert.deepEqual(
    serialize.startupMessage([
      ['user', 'app'],
      ['database', 'app'],
    ]),
    frontend.startup({ user: 'app', database: 'app' }),
  );
  assert.deepEqual(serialize.sslRequest, frontend.sslRequest());
  assert.deepEqual(serialize.passwordMessage('pw'), frontend.password('pw'));
  assert.deepEqual(
    serialize.cancelRequest(9, Buffer.from([5, 6, 7, 8])),
    frontend.cancelRequest(9, Buffer.from([5, 6, 7, 8])),
  );
  assert.deepEqual(serialize.sync, frontend.sync());
  assert.deepEqual(serialize.flush, frontend.flush());
  assert.deepEqual(serialize.terminate, frontend.terminate());
  assert.deepEqual(serialize.execute('p', 0), frontend.execute('p', 0));
});

test('SASL messages: initial response carries the mechanism and a length-prefixed payload', () => {
  const initial = serialize.saslInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc'));
  assert.equal(initial.toString('latin1'), 'p\0\0\0\x21SCRAM-SHA-256\0\0\0\0\x0bn,,n=,r=abc');
  const response = serialize.saslResponse(Buffer.from('c=biws'));
  assert.equal(response.toString('latin1'), 'p\0\0\0\x0ac=biws');
});

test('serialized messages parse back with the parsers', () => {
  const startup = serialize.startupMessage([['user', 'u']]);
  const parser = new FrontendParser();
  let name = '';
  parser.parse(startup, (frame) => {
    name = decodeStartup(frame).name;
  });
  assert.equal(name, 'startup');
  parser.parse(serialize.passwordMessage('x'), (frame) => {
    name = decodeFrontend(frame).name;
  });
  assert.equal(name, 'password');
});

test('results stay intact when the serializer is used again (safe to hand to socket.write)', () => {
  const first = serialize.parameterStatus('a', '1');
  const copy = Buffer.from(first);
  for (let i = 0; i < 5000; i++) serialize.parameterStatus(`name${i}`, 'x'.repeat(i % 50));
  assert.deepEqual(first, copy);
});
