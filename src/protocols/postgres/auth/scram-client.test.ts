import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../../../core/errors.js';
import { ScramClient } from './scram-client.js';

// RFC 7677 section 3: user "user", password "pencil".
const NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

function authFailed(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof AirlockError && err.code === 'ERR_UPSTREAM_AUTH_FAILED' && pattern.test(err.message);
}

test('RFC 7677 example: client-first, client-final and server signature', () => {
  const client = new ScramClient('pencil', { nonce: NONCE, user: 'user' });
  assert.equal(client.clientFirstMessage(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  assert.equal(client.clientFinalMessage(SERVER_FIRST), CLIENT_FINAL);
  client.verifyServerFinal(SERVER_FINAL);
});

test('a wrong server signature is refused', () => {
  const client = new ScramClient('pencil', { nonce: NONCE, user: 'user' });
  client.clientFinalMessage(SERVER_FIRST);
  assert.throws(
    () => client.verifyServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
    authFailed(/server signature does not match/),
  );
  assert.throws(() => client.verifyServerFinal('v='), authFailed(/does not match/));
  assert.throws(() => client.verifyServerFinal('e=invalid-proof'), authFailed(/server error invalid-proof/));
});

test('a server nonce that does not extend ours, or bad salt/iterations, is refused', () => {
  const client = () => new ScramClient('pencil', { nonce: NONCE });
  assert.throws(
    () => client().clientFinalMessage('r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    authFailed(/nonce/),
  );
  assert.throws(
    () => client().clientFinalMessage(`r=${NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`),
    authFailed(/nonce/),
  );
  assert.throws(() => client().clientFinalMessage(`r=${NONCE}x,s=,i=4096`), authFailed(/salt/));
  assert.throws(() => client().clientFinalMessage(`r=${NONCE}x,s=W22Z,i=0`), authFailed(/iteration/));
});

test('the server signature is checked only after our proof was computed', () => {
  assert.throws(() => new ScramClient('x').verifyServerFinal(SERVER_FINAL), authFailed(/finished before/));
});

test('without options the client sends an empty user name and a random nonce, as libpq does', () => {
  const first = new ScramClient('pw').clientFirstMessage();
  assert.match(first, /^n,,n=,r=[A-Za-z0-9+/]{24}$/);
  assert.notEqual(first, new ScramClient('pw').clientFirstMessage());
});
