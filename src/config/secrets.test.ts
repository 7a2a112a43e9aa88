import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connection, SecretRef } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { createSecretResolver } from './secrets.js';

function connection(name: string, password: SecretRef): Connection {
  return {
    name,
    type: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    database: 'app',
    user: 'app',
    password,
    tls: { mode: 'disable' },
    tags: {},
    access: [],
  };
}

describe('createSecretResolver', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-secrets-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('resolves env, file and literal secrets', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'from-file\n');
    const resolver = createSecretResolver(
      () => [
        connection('e', { env: 'DB_PW' }),
        connection('f', { file }),
        connection('v', { value: 'literal' }),
      ],
      { DB_PW: 'from-env' },
    );
    assert.equal(resolver.resolve('e'), 'from-env');
    assert.equal(resolver.resolve('f'), 'from-file');
    assert.equal(resolver.resolve('v'), 'literal');
  });

  test('a file is read at each resolve, so rotation works; only one trailing newline is trimmed', async () => {
    const file = join(dir, 'rotating');
    const resolver = createSecretResolver(() => [connection('db', { file })], {});
    await writeFile(file, 'first\n');
    assert.equal(resolver.resolve('db'), 'first');
    await writeFile(file, ' second \r\n');
    assert.equal(resolver.resolve('db'), ' second ');
    await writeFile(file, 'third\n\n');
    assert.equal(resolver.resolve('db'), 'third\n');
  });

  test('the connection list is read at each resolve', () => {
    let list = [connection('a', { value: 'one' })];
    const resolver = createSecretResolver(() => list, {});
    assert.equal(resolver.resolve('a'), 'one');
    list = [connection('a', { value: 'two' })];
    assert.equal(resolver.resolve('a'), 'two');
    assert.throws(() => resolver.resolve('b'), { code: 'ERR_CONNECTION_UNKNOWN' });
  });

  test('an unset variable or missing file is ERR_UPSTREAM_AUTH_FAILED naming the connection and the source', async () => {
    const missing = join(dir, 'missing');
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    const resolver = createSecretResolver(
      () => [
        connection('e', { env: 'UNSET_PW' }),
        connection('f', { file: missing }),
        connection('z', { file: empty }),
      ],
      { OTHER: 'x' },
    );
    const envErr = catchError(() => resolver.resolve('e'));
    assert.equal(envErr.code, 'ERR_UPSTREAM_AUTH_FAILED');
    assert.equal(envErr.message, 'connection "e": environment variable UNSET_PW is not set');
    // The client sees the catalog message, never the variable or path.
    assert.equal(envErr.userMessage, 'the target refused the credential Airlock holds for this connection');
    const fileErr = catchError(() => resolver.resolve('f'));
    assert.equal(fileErr.code, 'ERR_UPSTREAM_AUTH_FAILED');
    assert.equal(fileErr.message, `connection "f": password file ${missing} cannot be read (ENOENT)`);
    assert.equal(
      catchError(() => resolver.resolve('z')).message,
      `connection "z": password file ${empty} is empty`,
    );
  });
});

function catchError(fn: () => unknown): AirlockError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AirlockError);
    return err;
  }
  assert.fail('expected an error');
}
