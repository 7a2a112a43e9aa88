/**
 * A session admitted by a time-boxed grant ends when the grant does, not at the expiry job's next
 * run: the session supervisor's sweep ends it within a quarter second of the grant's end. The same
 * holds for a JIT grant (`airlock request` approved), and for a delegate whose session rests on its
 * root's grant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

describe('time-boxed grants', () => {
  let h: AirlockHarness;

  before(async () => {
    h = await startAirlock();
  });
  after(async () => {
    await h?.stop();
  });

  test('a live session ends when the grant that admitted it ends', async () => {
    const created = await h.cli([
      'grant',
      'create',
      '--connection',
      'appdb',
      '--identity',
      'temp-agent',
      '--scope',
      'read',
      '--reason',
      'one quick look',
      '--ttl',
      '2s',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const grantId = created.stdout.trim().split('\n').at(-1)!;
    // Not in appdb's access list (group:agents, user:solo): only the grant admits it.
    const token = await h.server.createToken({ name: 'temp-agent', groups: ['contractors'], kind: 'agent' });
    const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
    const ended = new Promise<Error & { code?: string }>((resolve) => client.once('error', resolve));
    await client.connect();
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
    const startedMs = Date.now();
    const err = await Promise.race([
      ended,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open 5 s later')), 5000)),
    ]);
    assert.equal(err.code, '57P05');
    assert.match(err.message, new RegExp(`grant that admitted this session \\(${grantId}\\) ended`));
    assert.ok(Date.now() - startedMs < 3000, 'ended at the grant, not minutes later');
    await client.end().catch(() => {});
    // And a new session is refused: the grant is over.
    const again = new pg.Client({ connectionString: h.url(token, 'appdb') });
    await assert.rejects(again.connect(), (e: Error & { code?: string }) => e.code === '28000');
    await again.end().catch(() => {});
  });
  test("a delegate's session on its root's JIT grant ends when the grant does", async () => {
    const admin = await h.server.createToken({ name: 'jit-admin', groups: ['platform'], kind: 'human' });
    // Not in appdb's access list: only the JIT grant will admit the person, and so the delegate.
    const person = await h.server.createToken({ name: 'jit-person', groups: ['contractors'], kind: 'human' });
    const delegated = await h.cli([
      'delegate',
      '--token',
      person,
      '--name',
      'jit-agent',
      '--scope',
      'appdb:read',
    ]);
    assert.equal(delegated.code, 0, delegated.stderr);
    const agent = delegated.stdout.trim().split('\n').at(-1)!;
    const refused = new pg.Client({ connectionString: h.url(agent, 'appdb') });
    await assert.rejects(refused.connect(), (e: Error & { code?: string }) => e.code === '28000');
    await refused.end().catch(() => {});
    // The agent asks; the grant goes to its root, for 3 s from approval.
    const asked = await h.cli([
      'request',
      '--connection',
      'appdb',
      '--scope',
      'read',
      '--reason',
      'look at one row',
      '--ttl',
      '3s',
      '--token',
      agent,
    ]);
    assert.equal(asked.code, 0, asked.stderr);
    const request = asked.stdout.trim().split('\n').at(-1)!;
    const approved = await h.cli(['approvals', 'approve', request, '--reason', 'ok', '--token', admin]);
    assert.equal(approved.code, 0, approved.stderr);
    const approvedAt = Date.now();
    const client = new pg.Client({ connectionString: h.url(agent, 'appdb') });
    const ended = new Promise<Error & { code?: string }>((resolve) => client.on('error', resolve));
    await client.connect();
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
    const err = await Promise.race([
      ended,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open 6 s later')), 6000)),
    ]);
    assert.equal(err.code, '57P05');
    assert.match(err.message, /the grant that admitted this session \(.+\) ended at /);
    const after = Date.now() - approvedAt;
    assert.ok(after >= 2500 && after < 4500, `ended ${after} ms after approval, the grant lasts 3 s`);
    await client.end().catch(() => {});
  });
});
