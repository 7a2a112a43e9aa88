/**
 * Expiry end to end on a real PostgreSQL (docs/reviews.md, Expiry): the review upkeep, run with a
 * clock set ahead, revokes a grant nobody used for `expireUnusedAfter` and a time-boxed grant past
 * its end, suspends an identity's unused standing `access:` entry (the config is unchanged;
 * `airlock reviews restore` lifts it), and revokes a delegate nobody used; live sessions on what
 * was taken away end within a second with a message that says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Clock } from '../../src/core/clock.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const DAY = 86_400_000;

/** A clock `ms` ahead of the real one. */
function ahead(ms: number): Clock {
  return { now: () => new Date(Date.now() + ms), nowMs: () => Date.now() + ms };
}

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
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

describe('expiry', () => {
  let h: AirlockHarness;

  before(async () => {
    h = await startAirlock({
      upstreamPortPlaceholder: 'PGPORT',
      extraConnections: `  - name: expiring
    type: postgres
    host: 127.0.0.1
    port: PGPORT
    database: app
    user: app
    password: { file: ./app-password }
    tls: { mode: disable }
    access: [group:agents]
    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 2s
      onStale: hold
      expireUnusedAfter: 30d`,
    });
  });
  after(async () => {
    await h?.stop();
  });

  async function grant(identity: string, extra: string[] = []): Promise<string> {
    const made = await h.cli([
      'grant',
      'create',
      '--connection',
      'expiring',
      '--identity',
      identity,
      '--scope',
      'read',
      '--reason',
      'e2e',
      ...extra,
    ]);
    assert.equal(made.code, 0, made.stderr);
    return made.stdout.trim().split('\n').at(-1) ?? '';
  }

  test('an unused grant and a time-boxed one past its end are revoked; live sessions on them end within 1 s', async () => {
    const unusedToken = await h.server.createToken({ name: 'idle-worker', groups: [], kind: 'agent' });
    const boxedToken = await h.server.createToken({ name: 'boxed-worker', groups: [], kind: 'agent' });
    const unused = await grant('idle-worker');
    const boxed = await grant('boxed-worker', ['--ttl', '1h']);
    const live = await open(h.url(unusedToken, 'expiring'));
    const boxedLive = await open(h.url(boxedToken, 'expiring'));
    const ending = ended(live, 2500);
    const boxedEnding = ended(boxedLive, 2500);
    const started = Date.now();
    const result = await h.server.runReviewUpkeep(ahead(31 * DAY));
    assert.deepEqual(
      [...result.expiry.grants].sort((a, b) => a.reason.localeCompare(b.reason)),
      [
        { id: boxed, reason: 'expired' },
        { id: unused, reason: 'expired-unused' },
      ],
    );
    const err = await ending;
    assert.ok(Date.now() - started < 1500, `ended after ${Date.now() - started} ms`);
    assert.match(err.message, new RegExp(`the grant that admitted this session \\(${unused}\\) was revoked`));
    assert.match((await boxedEnding).message, /was revoked/);
    await live.end().catch(() => {});
    await boxedLive.end().catch(() => {});
    await assert.rejects(open(h.url(unusedToken, 'expiring')), (e: { code?: string }) => e.code === '28000');
    await h.server.flushAudit();
    const events = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'grant.revoked', '--json'])).stdout,
    ) as { grantId: string; reason?: string; actor: { subject: string } }[];
    const revoked = events.find((e) => e.grantId === unused);
    assert.deepEqual(revoked && [revoked.reason, revoked.actor.subject], [
      'expired-unused',
      'airlock:expiry',
    ]);
  });

  test('an unused standing access entry suspends that identity only; its live session ends; restore lifts it', async () => {
    const token = await h.server.createToken({ name: 'standing-bot', groups: ['agents'], kind: 'agent' });
    const live = await open(h.url(token, 'expiring'));
    const ending = ended(live, 2500);
    const result = await h.server.runReviewUpkeep(ahead(31 * DAY));
    assert.ok(
      result.expiry.suspended.includes('expiring standing-bot access:group:agents'),
      JSON.stringify(result),
    );
    const err = await ending;
    assert.match(err.message, /access of "standing-bot" to "expiring" was suspended \(expired-unused\)/);
    await live.end().catch(() => {});
    await assert.rejects(
      open(h.url(token, 'expiring')),
      (e: { code?: string; message: string }) =>
        e.code === '28000' &&
        /suspended.*airlock reviews restore --connection expiring --identity standing-bot/.test(e.message),
    );
    const listed = await h.cli(['reviews', 'suspensions', '--json']);
    assert.ok((JSON.parse(listed.stdout) as { subject: string }[]).some((s) => s.subject === 'standing-bot'));
    // Another member of the group, never seen before, is not affected.
    const other = await h.server.createToken({ name: 'newcomer', groups: ['agents'], kind: 'agent' });
    (await open(h.url(other, 'expiring'))).end();
    const restored = await h.cli([
      'reviews',
      'restore',
      '--connection',
      'expiring',
      '--identity',
      'standing-bot',
      '--reason',
      'back on the project',
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /lifted 1 suspension/);
    (await open(h.url(token, 'expiring'))).end();
  });

  test('a delegate unused for its connection expireUnusedAfter is revoked', async () => {
    const alice = await h.server.createToken({
      name: 'alice',
      groups: ['agents'],
      kind: 'human',
      ttlMs: 90 * DAY,
    });
    const api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    const made = await h.cli([
      '--server',
      api,
      'delegate',
      '--token',
      alice,
      '--name',
      'idle-sub',
      '--scope',
      'expiring:read',
      '--ttl',
      '60d',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const sub = made.stdout.trim().split('\n').at(-1) ?? '';
    const live = await open(h.url(sub, 'expiring'));
    await live.end();
    const early = await h.server.runReviewUpkeep(ahead(29 * DAY));
    assert.deepEqual(early.expiry.delegates, []);
    const result = await h.server.runReviewUpkeep(ahead(31 * DAY));
    assert.deepEqual(result.expiry.delegates, ['idle-sub']);
    await assert.rejects(open(h.url(sub, 'expiring')), /revoked/);
    // The delegate's use counted as its root's: 31 days on, alice's standing entry is unused too.
    assert.ok(result.expiry.suspended.includes('expiring alice access:group:agents'));
    await h.server.flushAudit();
    const events = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'token.revoked', '--json'])).stdout,
    ) as { name: string; reason?: string }[];
    assert.equal(events.find((e) => e.name === 'idle-sub')?.reason, 'expired-unused');
  });
});
