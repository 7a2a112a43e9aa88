import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AirlockError } from '../core/errors.js';
import { checkConfigFile, findConfigFile, loadConfig } from './load.js';

describe('findConfigFile', () => {
  test('--config wins, then AIRLOCK_CONFIG, then ./airlock.yaml; relative to cwd', () => {
    const env = { AIRLOCK_CONFIG: 'from-env.yaml' };
    assert.equal(findConfigFile('flag.yaml', env, '/srv'), '/srv/flag.yaml');
    assert.equal(findConfigFile('/abs/flag.yaml', env, '/srv'), '/abs/flag.yaml');
    assert.equal(findConfigFile(undefined, env, '/srv'), '/srv/from-env.yaml');
    assert.equal(findConfigFile(undefined, {}, '/srv'), '/srv/airlock.yaml');
  });
});

describe('loadConfig and checkConfigFile on real files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-config-'));
    await mkdir(join(dir, 'tls'));
    await writeFile(join(dir, 'tls', 'server.crt'), 'not checked here');
    await writeFile(join(dir, 'tls', 'server.key'), 'not checked here');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('relative paths resolve against the config file folder, not the cwd', async () => {
    const file = join(dir, 'airlock.yaml');
    await writeFile(
      file,
      [
        'store: sqlite:./state/airlock.db',
        'listen: { api: "127.0.0.1:0", tls: { cert: tls/server.crt, key: tls/server.key } }',
        'connections:',
        '  - { name: appdb, type: postgres, host: 127.0.0.1, database: app, user: app, password: { file: pw.txt } }',
      ].join('\n'),
    );
    const config = await loadConfig(file, {});
    assert.equal(config.file, file);
    assert.equal(config.store, `sqlite:${join(dir, 'state', 'airlock.db')}`);
    assert.equal(config.stateDir, join(dir, 'state'));
    assert.deepEqual(config.listen.tls, {
      cert: join(dir, 'tls', 'server.crt'),
      key: join(dir, 'tls', 'server.key'),
    });
    assert.deepEqual(config.connections[0]?.password, { file: join(dir, 'pw.txt') });
    assert.deepEqual(config.warnings, [
      `connections[0].password: password file ${join(dir, 'pw.txt')} does not exist`,
    ]);
  });

  test('an invalid file throws ERR_CONFIG_INVALID listing every problem', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'listen: { api: 8009 }\nadmins: [platform]\nconections: []\n');
    const err = await loadConfig(file, {}).catch((e: unknown) => e);
    assert.ok(err instanceof AirlockError);
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    assert.deepEqual(err.detail?.split('\n'), [
      'unknown key "conections" at top level (did you mean "connections"?)',
      'listen.api: expected "host:port", received 8009',
      'admins[0]: expected "group:NAME" or "user:SUBJECT", received "platform"',
    ]);
    assert.match(err.message, /has 3 problems/);
    assert.match(err.message, /listen\.api: expected "host:port", received 8009/);
  });

  test('a missing file is a problem, not a crash', async () => {
    const file = join(dir, 'nope.yaml');
    const check = await checkConfigFile(file, {});
    assert.equal(check.config, undefined);
    assert.deepEqual(check.problems, [`cannot read config file ${file} (ENOENT)`]);
    await assert.rejects(loadConfig(file, {}), { code: 'ERR_CONFIG_INVALID' });
  });

  test('checkConfigFile returns warnings with the config', async () => {
    const file = join(dir, 'literal.yaml');
    await writeFile(
      file,
      'connections: [{ name: a, type: postgres, host: h, database: d, user: u, password: "Sup3rSecret" }]\n',
    );
    const check = await checkConfigFile(file, {});
    assert.ok(check.config);
    assert.deepEqual(check.warnings, [
      'connections[0].password: a literal password is stored in the config file; use {env: ...} or {file: ...}',
    ]);
    assert.ok(!check.warnings.join('').includes('Sup3rSecret'));
  });
});
