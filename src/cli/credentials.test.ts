import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isAirlockError } from '../core/errors.js';
import {
  credentialsPath,
  deleteCredentials,
  loadCredentials,
  sameServer,
  saveCredentials,
  storedToken,
} from './credentials.js';

describe('stored login credentials', () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-credentials-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const env = { XDG_CONFIG_HOME: join(root, 'xdg'), HOME: join(root, 'home') };
  const sample = {
    server: 'http://127.0.0.1:7070',
    token: 'al_sample',
    expiresAt: '2030-01-01T00:00:00.000Z',
  };

  test('lives under XDG_CONFIG_HOME, else ~/.config; a relative XDG path is ignored', () => {
    assert.equal(credentialsPath(env), join(root, 'xdg', 'airlock', 'credentials.json'));
    assert.equal(credentialsPath({ HOME: '/home/a' }), '/home/a/.config/airlock/credentials.json');
    assert.equal(
      credentialsPath({ HOME: '/home/a', XDG_CONFIG_HOME: 'rel' }),
      '/home/a/.config/airlock/credentials.json',
    );
  });

  test('is written 0600 in a 0700 directory, even one that existed with wider rights', () => {
    mkdirSync(join(root, 'xdg', 'airlock'), { recursive: true });
    chmodSync(join(root, 'xdg', 'airlock'), 0o755);
    const file = saveCredentials(env, sample);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(root, 'xdg', 'airlock')).mode & 0o777, 0o700);
    assert.deepEqual(loadCredentials(env), sample);
  });

  test('the stored token is used only for its server and only until it expires', () => {
    saveCredentials(env, sample);
    const now = Date.parse('2029-01-01T00:00:00Z');
    assert.equal(storedToken(env, 'http://127.0.0.1:7070/', now)?.token, 'al_sample');
    assert.equal(storedToken(env, undefined, now)?.token, 'al_sample');
    assert.equal(storedToken(env, 'http://127.0.0.1:7071', now), undefined);
    assert.throws(
      () => storedToken(env, undefined, Date.parse('2031-01-01T00:00:00Z')),
      (err: unknown) =>
        isAirlockError(err) &&
        err.code === 'ERR_TOKEN_EXPIRED' &&
        /run `airlock login --server http:\/\/127\.0\.0\.1:7070` again/.test(err.userMessage),
    );
  });

  test('a damaged file is a clear error; deleting reports whether there was one', () => {
    writeFileSync(credentialsPath(env), '{"server": 1}');
    assert.throws(
      () => loadCredentials(env),
      (err: unknown) => isAirlockError(err) && /damaged/.test(err.userMessage),
    );
    assert.equal(deleteCredentials(env), credentialsPath(env));
    assert.equal(deleteCredentials(env), undefined);
    assert.equal(loadCredentials(env), undefined);
  });

  test('server URLs compare without trailing slashes and host case', () => {
    assert.ok(sameServer('http://LOCALHOST:1/', 'http://localhost:1'));
    assert.ok(!sameServer('http://localhost:1', 'https://localhost:1'));
  });
});
