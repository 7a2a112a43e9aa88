/**
 * Cutting access off now, end to end on a real PostgreSQL: `airlock lock` ends live sessions and
 * refuses new ones until `airlock unlock`; `airlock sessions terminate`; a connection's `limits:`
 * (idle timeout, sessions per identity).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    client.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

async function open(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('select 1');
  return client;
}

describe('locks, terminate and session limits', () => {
  let h: AirlockHarness;
  let agent: string;

  before(async () => {
    h = await startAirlock({
      upstreamPortPlaceholder: 'PGPORT',
      extraConnections: `  - name: limited
    type: postgres
    host: 127.0.0.1
    port: PGPORT
    database: app
    user: app
    password: { file: ./app-password }
    tls: { mode: disable }
    access: [group:agents]
    limits: { idle: 600ms, maxSessionsPerIdentity: 1 }`,
    });
    agent = await h.server.createToken({ name: 'lock-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  test('a lock on an identity ends its live session within 1 s and refuses new ones until unlocked', async () => {
    const live = await open(h.url(agent));
    const ending = ended(live, 1500);
    const started = Date.now();
    const locked = await h.cli([
      'lock',
      '--identity',
      'lock-agent',
      '--ttl',
      '1h',
      '--reason',
      'incident 42',
    ]);
    assert.equal(locked.code, 0, locked.stderr);
    const lockId = locked.stdout.trim().split('\n').at(-1) ?? '';
    const err = await ending;
    assert.ok(Date.now() - started < 1000, `ended after ${Date.now() - started} ms`);
    assert.match(err.message, /identity "lock-agent" is locked until .*: incident 42/);
    await live.end().catch(() => {});
    await assert.rejects(
      open(h.url(agent)),
      (e: { code?: string; message: string }) => e.code === '42501' && /incident 42/.test(e.message),
    );
    const list = JSON.parse((await h.cli(['lock', 'list', '--json'])).stdout) as { id: string }[];
    assert.ok(list.some((l) => l.id === lockId));
    assert.equal((await h.cli(['unlock', lockId])).code, 0);
    (await open(h.url(agent))).end();
  });

  test('a lock on a connection ends every session on it', async () => {
    const live = await open(h.url(agent));
    const ending = ended(live, 1500);
    const locked = await h.cli(['lock', '--connection', 'appdb', '--reason', 'maintenance']);
    assert.equal(locked.code, 0, locked.stderr);
    assert.match((await ending).message, /connection "appdb" is locked: maintenance/);
    await live.end().catch(() => {});
    assert.equal((await h.cli(['unlock', locked.stdout.trim().split('\n').at(-1) ?? ''])).code, 0);
  });

  test('airlock sessions terminate ends one session from another process', async () => {
    const listed = async () => {
      await h.server.flushAudit();
      const out = (await h.cli(['sessions', 'list', '--identity', 'lock-agent', '--json'])).stdout;
      return JSON.parse(out) as { id: string; endedAt: string | null }[];
    };
    // Earlier tests' sessions may still look open while their ends drain: take the new one.
    const earlier = new Set((await listed()).map((s) => s.id));
    const live = await open(h.url(agent));
    live.on('error', () => {});
    const id = (await listed()).find((s) => !earlier.has(s.id) && s.endedAt === null)?.id;
    assert.ok(id, 'the live session is listed');
    const ending = ended(live, 1500);
    const terminated = await h.cli(['sessions', 'terminate', id, '--reason', 'runaway query']);
    assert.equal(terminated.code, 0, terminated.stderr);
    assert.match((await ending).message, /terminated by an administrator/);
    await live.end().catch(() => {});
    await h.server.flushAudit();
    const events = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'session.terminated', '--json'])).stdout,
    ) as {
      sessionId: string;
      reason: string;
    }[];
    assert.ok(events.some((e) => e.sessionId === id && e.reason === 'runaway query'));
  });

  test('limits: one session per identity, and an idle session ends', async () => {
    const first = await open(h.url(agent, 'limited'));
    await assert.rejects(
      open(h.url(agent, 'limited')),
      (e: { code?: string; message: string }) =>
        e.code === '53300' && /already has 1 open sessions/.test(e.message),
    );
    const ending = ended(first, 2000);
    const started = Date.now();
    const err = await ending;
    const idle = Date.now() - started;
    assert.match(err.message, /idle for 600ms/);
    assert.ok(idle >= 400 && idle < 1500, `idle end after ${idle} ms`);
    await first.end().catch(() => {});
    // A statement counts as activity: a busy session stays open past the idle limit.
    const busy = await open(h.url(agent, 'limited'));
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 250));
      await busy.query('select 1');
    }
    await busy.end();
  });
});
