import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { ManualClock } from '../core/clock.js';
import { AirlockError, type ErrorCode } from '../core/errors.js';
import { OPERATOR } from '../core/identity.js';
import { changesSince } from '../store/changes.js';
import { openStore, type Store } from '../store/db.js';
import { randomBase62, TokenService } from './tokens.js';

/** Keeps appended bodies; fails while `failing` is set, like an unwritable journal. */
class RecordingAudit implements AuditLog {
  readonly events: AuditEventBody[] = [];
  failing = false;
  append(event: AuditEventBody): AuditRecord {
    if (this.failing) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'disk full');
    this.events.push(event);
    return {
      ...event,
      v: 1,
      node: 'n',
      seq: this.events.length,
      time: '',
      prevHash: '',
      hash: '',
    } as AuditRecord;
  }
}

const code = (expected: ErrorCode) => (err: unknown) => err instanceof AirlockError && err.code === expected;
const HOUR = 3_600_000;

describe('TokenService', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let audit: RecordingAudit;
  let tokens: TokenService;
  const create = (name: string, extra: Partial<Parameters<TokenService['create']>[0]> = {}) =>
    tokens.create({ name, groups: ['agents'], kind: 'agent', ttlMs: 8 * HOUR, actor: OPERATOR, ...extra });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-tokens-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    audit = new RecordingAudit();
    tokens = new TokenService({ db: store.db, clock, audit });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a short alk_ token, stores only the secret’s hash, audits and records the change', async () => {
    const { token, info } = await create('ci-bot.v2', { groups: ['agents', 'ci', 'agents'] });
    assert.match(token, /^alk_[0-9A-Za-z]{10}_[0-9A-Za-z]{24}$/);
    assert.ok(token.length <= 40, 'fits password prompts that cut long input');
    assert.deepEqual(info, {
      id: token.slice(4, 14),
      name: 'ci-bot.v2',
      kind: 'agent',
      groups: ['agents', 'ci'],
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'operator',
      expiresAt: '2026-01-01T08:00:00.000Z',
      revokedAt: null,
      lastUsedAt: null,
      rootSubject: null,
      depth: 0,
      scope: null,
    });
    const row = await store.db.selectFrom('tokens').selectAll().executeTakeFirstOrThrow();
    const secret = token.slice(15);
    assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('hex'));
    assert.ok(!JSON.stringify(row).includes(secret), 'the secret itself is not stored');
    assert.deepEqual(audit.events, [
      {
        type: 'token.created',
        actor: { subject: 'operator', kind: 'human', groups: [], issuer: 'local', chain: [] },
        name: 'ci-bot.v2',
        kind: 'agent',
        groups: ['agents', 'ci'],
        expiresAt: '2026-01-01T08:00:00.000Z',
      },
    ]);
    assert.deepEqual(
      (await changesSince(store.db, 0)).map((c) => [c.kind, c.ref]),
      [['token.created', 'ci-bot.v2']],
    );
  });

  it('refuses bad names, kinds, groups and lifetimes with ERR_BAD_REQUEST naming the rule', async () => {
    for (const name of ['', '-lead', 'has space', 'a/b', 'x'.repeat(64), 'ünïcode']) {
      await assert.rejects(create(name), (err: AirlockError) => {
        return (
          err.code === 'ERR_BAD_REQUEST' && err.userMessage.includes('^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$')
        );
      });
    }
    await create('x'.repeat(63));
    await assert.rejects(create('k', { kind: 'robot' as never }), code('ERR_BAD_REQUEST'));
    await assert.rejects(create('g', { groups: ['a b'] }), code('ERR_BAD_REQUEST'));
    await assert.rejects(create('t', { ttlMs: 0 }), code('ERR_BAD_REQUEST'));
    await assert.rejects(create('t', { ttlMs: 1.5 }), code('ERR_BAD_REQUEST'));
  });

  it('keeps names unique among live tokens; a revoked name may be issued again', async () => {
    await create('bot');
    await assert.rejects(create('bot'), code('ERR_CONFLICT'));
    const revoked = await tokens.revoke('bot', OPERATOR);
    assert.equal(revoked.revokedAt, '2026-01-01T00:00:00.000Z');
    clock.advance(1000);
    await create('bot');
    const listed = await tokens.list();
    assert.deepEqual(
      listed.map((t) => [t.name, t.revokedAt !== null]),
      [
        ['bot', true],
        ['bot', false],
      ],
    );
  });

  it('issues nothing when the audit journal cannot take the event', async () => {
    audit.failing = true;
    await assert.rejects(create('bot'), code('ERR_AUDIT_UNAVAILABLE'));
    assert.deepEqual(await tokens.list(), []);
    assert.deepEqual(await changesSince(store.db, 0), []);
  });

  it('authenticates to an identity whose subject is the token name', async () => {
    const { token, info } = await create('bot', { kind: 'service', groups: ['etl'] });
    assert.ok(tokens.isAirlockToken(token));
    assert.ok(!tokens.isAirlockToken('eyJhbGciOi.jwt'));
    assert.deepEqual(await tokens.authenticate(token), {
      subject: 'bot',
      displayName: 'bot',
      kind: 'service',
      groups: ['etl'],
      issuer: 'airlock',
      tokenId: info.id,
      expiresAt: new Date('2026-01-01T08:00:00.000Z'),
      chain: [],
    });
  });

  it('refuses malformed, unknown and wrong-secret tokens as ERR_TOKEN_INVALID', async () => {
    const { token } = await create('bot');
    const wrongSecret = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
    const unknownId = `alk_${'A'.repeat(10)}${token.slice(14)}`;
    for (const bad of [
      '',
      'alk_',
      'alk_short_secret',
      `${token}x`,
      wrongSecret,
      unknownId,
      token.toUpperCase(),
    ]) {
      await assert.rejects(tokens.authenticate(bad), code('ERR_TOKEN_INVALID'), bad);
    }
  });

  it('refuses expired tokens (ERR_TOKEN_EXPIRED) and revoked ones (ERR_TOKEN_REVOKED)', async () => {
    const { token } = await create('short', { ttlMs: HOUR });
    clock.advance(HOUR - 1);
    await tokens.authenticate(token);
    clock.advance(1);
    await assert.rejects(tokens.authenticate(token), code('ERR_TOKEN_EXPIRED'));

    const { token: other } = await create('other');
    await tokens.revoke('other', OPERATOR);
    await assert.rejects(tokens.authenticate(other), code('ERR_TOKEN_REVOKED'));
    // Without the right secret, a revoked token is just invalid: nothing is revealed about it.
    await assert.rejects(
      tokens.authenticate(`${other.slice(0, 15)}${'z'.repeat(24)}`),
      code('ERR_TOKEN_INVALID'),
    );
  });

  it('writes last_used_at at most once a minute per token', async () => {
    const { token } = await create('bot');
    const lastUsed = async () => (await tokens.list())[0]?.lastUsedAt;
    await tokens.authenticate(token);
    assert.equal(await lastUsed(), '2026-01-01T00:00:00.000Z');
    clock.advance(59_000);
    await tokens.authenticate(token);
    assert.equal(await lastUsed(), '2026-01-01T00:00:00.000Z');
    clock.advance(1000);
    await tokens.authenticate(token);
    assert.equal(await lastUsed(), '2026-01-01T00:01:00.000Z');
  });

  it('revokes with an audit event and a change row; unknown names are ERR_NOT_FOUND; again is a no-op', async () => {
    await create('bot');
    audit.events.length = 0;
    const info = await tokens.revoke('bot', OPERATOR);
    assert.equal(info.revokedAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(audit.events, [
      {
        type: 'token.revoked',
        actor: { subject: 'operator', kind: 'human', groups: [], issuer: 'local', chain: [] },
        name: 'bot',
      },
    ]);
    const changes = await changesSince(store.db, 0);
    assert.deepEqual(changes.at(-1) && [changes.at(-1)?.kind, changes.at(-1)?.ref], ['token.revoked', 'bot']);
    const row = await store.db.selectFrom('tokens').select('revoked_by').executeTakeFirstOrThrow();
    assert.equal(row.revoked_by, 'operator');
    clock.advance(5000);
    assert.deepEqual(await tokens.revoke('bot', OPERATOR), info);
    assert.equal(audit.events.length, 1);
    await assert.rejects(tokens.revoke('nobody', OPERATOR), code('ERR_NOT_FOUND'));
  });
});

describe('randomBase62', () => {
  it('draws only base62 characters, of the asked length, covering the alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const text = randomBase62(24);
      assert.match(text, /^[0-9A-Za-z]{24}$/);
      for (const ch of text) seen.add(ch);
    }
    assert.equal(seen.size, 62);
  });
});
