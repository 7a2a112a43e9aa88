/**
 * `airlock login` end to end: the CLI runs the OIDC device flow against a real provider while the
 * test approves the code the way a person's browser would, the OIDC access token is exchanged for a
 * short Airlock token stored 0600 under XDG_CONFIG_HOME, and later commands (whoami, psql through
 * Airlock) use it without --token or --server. An expired stored token says to log in again;
 * logout deletes it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { run } from '../../src/cli/run.js';
import { type AirlockHarness, runCli, startAirlock } from '../harness/airlock.js';
import { startOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.js';

describe('airlock login', () => {
  let h: AirlockHarness;
  let corp: TestOidcProvider;
  let api: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    corp = await startOidcProvider({
      audience: 'airlock',
      clients: [],
      publicClients: ['airlock-cli'],
      accounts: { alice: { groups: ['agents'], name: 'Alice' }, mallory: { groups: ['interns'] } },
    });
    h = await startAirlock({
      extraYaml: `identity:
  oidc:
    - { name: corp, issuer: ${corp.issuer}, audience: airlock, groupsClaim: groups, kind: human }
  login: { issuer: corp, clientId: airlock-cli, scope: openid airlock }`,
    });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    home = mkdtempSync(join(tmpdir(), 'airlock-login-'));
    env = {
      ...process.env,
      AIRLOCK_CONFIG: undefined,
      AIRLOCK_SERVER: undefined,
      AIRLOCK_TOKEN: undefined,
      XDG_CONFIG_HOME: join(home, 'config'),
    };
  });
  after(async () => {
    await h?.stop();
    await corp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const credentialsFile = () => join(home, 'config', 'airlock', 'credentials.json');

  /**
   * Runs `airlock login` and approves as `account` while it waits: the printed code (device flow),
   * or the printed authorization URL (`--browser`).
   */
  async function login(
    account: string,
    browser = false,
  ): Promise<{ code: number; stdout: string; stderr: string; page?: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    let approval: Promise<string | undefined> | undefined;
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (approval) return;
      const userCode = /enter the code (\S+)/.exec(out)?.[1];
      const url = /To log in, open (\S+)\n/.exec(out)?.[1];
      if (browser && url) approval = corp.approveAuthorization(url, account);
      else if (!browser && userCode) approval = corp.approveDevice(userCode, account).then(() => undefined);
    });
    const argv = ['login', '--server', api, ...(browser ? ['--browser'] : [])];
    const code = await run(argv, { stdout, stderr, env, cwd: home });
    assert.ok(approval, `login printed what to approve: ${out}${err}`);
    const page = await approval;
    return { code, stdout: out, stderr: err, ...(page !== undefined ? { page } : {}) };
  }

  test('device login stores a short Airlock token that whoami and psql use', async () => {
    const result = await login('alice');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /open http:\/\/127\.0\.0\.1:\d+\/device and enter the code/);
    assert.match(result.stdout, /Logged in to http:\/\/127\.0\.0\.1:\d+ through corp/);

    assert.equal(statSync(credentialsFile()).mode & 0o777, 0o600, 'credentials file is 0600');
    assert.equal(statSync(join(home, 'config', 'airlock')).mode & 0o777, 0o700, 'directory is 0700');
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as {
      server: string;
      token: string;
      expiresAt: string;
    };
    assert.equal(stored.server, api);
    assert.ok(stored.token.length < 100, 'short enough for password prompts');
    assert.ok(Date.parse(stored.expiresAt) > Date.now());
    assert.ok(
      Date.parse(stored.expiresAt) <= Date.now() + 600_000 + 5000,
      'never outlives the OIDC access token (600 s)',
    );

    // No --server, no --token: both come from the stored login.
    const me = await runCli(['whoami', '--json'], env, home);
    assert.equal(me.code, 0, me.stderr);
    const who = JSON.parse(me.stdout) as { subject: string; kind: string; groups: string[] };
    assert.equal(who.subject, 'corp:alice');
    assert.equal(who.kind, 'human');
    assert.deepEqual(who.groups, ['agents']);

    const db = new pg.Client({ connectionString: h.url(stored.token) });
    await db.connect();
    try {
      assert.equal((await db.query('select current_user as u')).rows[0].u, 'app');
    } finally {
      await db.end();
    }
  });

  test('a person without access logs in but cannot open a session', async () => {
    const result = await login('mallory');
    assert.equal(result.code, 0, result.stderr);
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as { token: string };
    const me = await runCli(['whoami', '--json'], env, home);
    assert.equal((JSON.parse(me.stdout) as { subject: string }).subject, 'corp:mallory', 'login replaced');
    await assert.rejects(
      new pg.Client({ connectionString: h.url(stored.token) }).connect(),
      (err: { code?: string }) => err.code === '28000',
    );
  });

  test('--browser logs in with the code flow, PKCE and a loopback redirect', async () => {
    const result = await login('alice', true);
    assert.equal(result.code, 0, result.stderr);
    const url = new URL(/To log in, open (\S+)/.exec(result.stdout)?.[1] ?? '');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.match(result.page ?? '', /you are logged in/);
    const me = await runCli(['whoami', '--json'], env, home);
    assert.equal((JSON.parse(me.stdout) as { subject: string }).subject, 'corp:alice');
  });

  test('an expired stored token says to log in again', async () => {
    const stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>;
    writeFileSync(credentialsFile(), JSON.stringify({ ...stored, expiresAt: '2020-01-01T00:00:00.000Z' }), {
      mode: 0o600,
    });
    const me = await runCli(['whoami'], env, home);
    assert.equal(me.code, 3);
    assert.match(me.stderr, /your login to http:\/\/127\.0\.0\.1:\d+ expired .*run `airlock login --server/);
  });

  test('logout deletes the stored token', async () => {
    const out = await runCli(['logout'], env, home);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Logged out of http:\/\/127\.0\.0\.1:\d+: deleted .*credentials\.json/);
    assert.throws(() => statSync(credentialsFile()), /ENOENT/);
    const again = await runCli(['logout'], env, home);
    assert.match(again.stdout, /Not logged in/);
  });

  test('a server without identity.login says so', async () => {
    const other = await startAirlock();
    try {
      const otherApi = `http://127.0.0.1:${other.server.addresses.api.port}`;
      const out = await runCli(['login', '--server', otherApi], env, home);
      assert.equal(out.code, 2);
      assert.match(out.stderr, /has no login issuer configured \(identity\.login\)/);
    } finally {
      await other.stop();
    }
  });
});
