/**
 * CLI conventions that no other suite covers: `config check` lists every problem and exits
 * non-zero, config discovery (--config, AIRLOCK_CONFIG, ./airlock.yaml), `serve` refusing an invalid
 * file, and usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../harness/airlock.js';

describe('airlock CLI', () => {
  let dir: string;
  const env = { PATH: process.env.PATH };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    writeFileSync(
      join(dir, 'good.yaml'),
      'connections:\n  - { name: appdb, type: postgres, host: 127.0.0.1, database: app, user: app, password: { env: APP_PW } }\n',
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      'conections: []\nlisten: { api: 8009 }\nadmins: [platform]\nconnections:\n  - { name: a, type: postgres, host: h, port: abc, database: d, user: u, password: pw }\n',
    );
    writeFileSync(join(dir, 'airlock.yaml'), 'store: sqlite:./found-by-default.db\n');
    writeFileSync(
      join(dir, 'guarded.yaml'),
      'connections:\n  - { name: prod, type: postgres, host: h, database: d, user: u, password: { env: P },\n' +
        '      guardrails: { deny: [drop, unbounded-delete], review: [delete] } }\n',
    );
    writeFileSync(
      join(dir, 'typo.yaml'),
      'connections:\n  - { name: prod, type: postgres, host: h, database: d, user: u, password: { env: P },\n' +
        '      guardrails: { deny: [dorp], onUnparsed: allow } }\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('config check accepts a good file and warns about an unset password variable', async () => {
    const result = await runCli(['config', 'check', join(dir, 'good.yaml')], env, dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /good\.yaml: OK \(1 connections\)/);
    assert.match(
      result.stderr,
      /warning: connections\[0\]\.password: environment variable APP_PW is not set/,
    );
  });

  test('config check lists every problem, naming the key and what is expected, and exits 2', async () => {
    const result = await runCli(['config', 'check', join(dir, 'bad.yaml')], env, dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown key "conections" at top level \(did you mean "connections"\?\)/);
    assert.match(result.stderr, /listen\.api: expected "host:port", received 8009/);
    assert.match(result.stderr, /admins\[0\]: expected "group:NAME" or "user:SUBJECT", received "platform"/);
    assert.match(result.stderr, /connections\[0\]\.port: expected an integer 1-65535, received "abc"/);
    assert.match(result.stderr, /warning: connections\[0\]\.password: a literal password/);
    assert.ok(!result.stderr.includes(' pw'), 'the literal password is never echoed');
  });

  test('commands find the config from --config, then AIRLOCK_CONFIG, then ./airlock.yaml', async () => {
    const fromCwd = await runCli(['config', 'check'], env, dir);
    assert.match(fromCwd.stdout, new RegExp(`${dir}/airlock\\.yaml: OK`));
    const fromEnv = await runCli(
      ['config', 'check'],
      { ...env, AIRLOCK_CONFIG: join(dir, 'good.yaml') },
      dir,
    );
    assert.match(fromEnv.stdout, /good\.yaml: OK/);
    const fromFlag = await runCli(['--config', join(dir, 'bad.yaml'), 'config', 'check'], env, dir);
    assert.equal(fromFlag.code, 2);
  });

  test('serve refuses an invalid config with every problem listed', async () => {
    const result = await runCli(['serve', '--config', join(dir, 'bad.yaml')], env, dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error: the configuration is not valid/);
    assert.match(result.stderr, /connections\[0\]\.port/);
    assert.match(result.stderr, /Fix the keys listed/);
  });

  test('usage errors and bad values exit non-zero with a message', async () => {
    const missing = await runCli(['--config', join(dir, 'good.yaml'), 'token', 'create'], env, dir);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /required option '--name <name>'/);
    const badTtl = await runCli(
      ['--config', join(dir, 'good.yaml'), 'token', 'create', '--name', 'x', '--ttl', 'soon'],
      env,
      dir,
    );
    assert.equal(badTtl.code, 2);
    assert.match(badTtl.stderr, /--ttl: expected a duration like 8h/);
    const remoteWithoutToken = await runCli(['--server', 'http://127.0.0.1:1', 'token', 'list'], env, dir);
    assert.equal(remoteWithoutToken.code, 3);
    assert.match(remoteWithoutToken.stderr, /pass --token TOKEN or set AIRLOCK_TOKEN/);
    const unreachable = await runCli(
      ['--server', 'http://127.0.0.1:1', '--token', 't', 'token', 'list'],
      env,
      dir,
    );
    assert.equal(unreachable.code, 5);
    assert.match(unreachable.stderr, /cannot reach the Airlock server/);
  });

  test('policy test decides a statement without connecting, and guardrail typos are config problems', async () => {
    const config = join(dir, 'guarded.yaml');
    const run = (sql: string) =>
      runCli(['--config', config, 'policy', 'test', '--connection', 'prod', '--sql', sql], env, dir);
    const drop = await run('/* harmless */ DROP TABLE customers');
    assert.equal(drop.code, 6);
    assert.match(drop.stdout, /decision: deny\nrule: deny:drop/);
    assert.match(drop.stdout, /statement 1: sql\.drop customers/);
    const review = await run('delete from customers where id = 7');
    assert.equal(review.code, 1);
    assert.match(review.stdout, /rule: review:delete/);
    const read = await run("select 'drop table customers' as drop_date");
    assert.equal(read.code, 0);
    assert.match(read.stdout, /decision: allow/);
    const typo = await runCli(['config', 'check', join(dir, 'typo.yaml')], env, dir);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /connections\[0\]\.guardrails\.deny\[0\]: expected one of drop, /);
    assert.match(typo.stderr, /guardrails\.onUnparsed: expected "deny" or "review" \(never allow\)/);
  });
});
