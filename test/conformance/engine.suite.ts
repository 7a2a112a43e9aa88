/**
 * @module The protocol-neutral expectations every engine meets, run against a real Airlock and a
 * real target. A protocol supplies a driver (how its native client connects, runs a command, and
 * shows an error); the suite states the behaviour once: authentication failures in the client's own
 * error form, access checks, audit of sessions and commands tied to the identity, garbage input,
 * revocation cutting live sessions, and credentials never leaking.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandEvent, SessionEndEvent, SessionStartEvent } from '../../src/audit/events.js';
import { type ErrorCode, errorCatalog } from '../../src/core/errors.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

/** An error as the native client reported it. */
export interface NativeError {
  /** The protocol's error code (PostgreSQL SQLSTATE, MySQL errno, SSH exit status...). */
  readonly wireCode: string;
  readonly message: string;
}

/** A connected native client. */
export interface DriverClient {
  /** Runs a harmless read that returns `rows` rows. */
  run(command: string): Promise<{ rows: number }>;
  /** Resolves when the server ended the session, with the error the client saw. */
  ended(): Promise<NativeError | undefined>;
  close(): Promise<void>;
}

/** How the suite drives one protocol. */
export interface EngineDriver {
  readonly protocol: string;
  /** A command that returns exactly one row. */
  readonly oneRowCommand: string;
  /** Connects as `token` to `connection`; rejects with a NativeError. */
  connect(harness: AirlockHarness, token: string, connection: string): Promise<DriverClient>;
  /** How a catalog error looks on this protocol's wire. */
  wireCodeOf(code: ErrorCode): string;
  /** Sends garbage bytes; resolves with what the client got back and whether the socket closed. */
  sendGarbage(harness: AirlockHarness, bytes: Buffer): Promise<{ reply: Buffer; closed: boolean }>;
}

/** Cases an engine cannot run yet, each with its reason. */
export interface Skip {
  readonly test: string;
  readonly reason: string;
}

async function rejection(promise: Promise<unknown>): Promise<NativeError> {
  try {
    await promise;
  } catch (err) {
    return err as NativeError;
  }
  assert.fail('expected the connection to be refused');
}

/** Registers the conformance tests for one engine. */
export function runEngineConformance(driver: EngineDriver, skips: readonly Skip[] = []): void {
  describe(`${driver.protocol} engine conformance`, () => {
    let h: AirlockHarness;
    let agentToken: string;

    before(async () => {
      h = await startAirlock();
      agentToken = await h.server.createToken({ name: 'conf-agent', groups: ['agents'], kind: 'agent' });
    });
    after(async () => {
      await h?.stop();
    });

    const it = (name: string, fn: () => Promise<void>) => {
      const skip = skips.find((s) => s.test === name);
      test(name, skip ? { skip: skip.reason } : {}, fn);
    };

    const expectRefusal = async (token: string, connection: string, code: ErrorCode) => {
      const err = await rejection(driver.connect(h, token, connection));
      assert.equal(err.wireCode, driver.wireCodeOf(code), `${code}: got ${err.wireCode} ${err.message}`);
      return err;
    };

    it('a token with access runs commands, and the session is audited with its identity', async () => {
      const client = await driver.connect(h, agentToken, 'appdb');
      assert.deepEqual(await client.run(driver.oneRowCommand), { rows: 1 });
      await client.close();
      await h.server.flushAudit();
      await waitFor(async () =>
        (await events(h, 'session.end')).some((e) => e.identity?.subject === 'conf-agent'),
      );
      const starts = (await events(h, 'session.start')) as SessionStartEvent[];
      assert.ok(starts.some((e) => e.identity?.subject === 'conf-agent' && e.outcome === 'success'));
      const commands = (await events(h, 'command')) as CommandEvent[];
      const mine = commands.find(
        (e) => e.identity?.subject === 'conf-agent' && e.text === driver.oneRowCommand,
      );
      assert.ok(mine, 'command event recorded');
      assert.equal(mine.decision, 'allow');
      assert.equal(mine.connection, 'appdb');
      const ends = (await events(h, 'session.end')) as SessionEndEvent[];
      const end = ends.find((e) => e.sessionId === mine.sessionId);
      assert.ok(end && end.statements >= 1 && end.bytesFromClient > 0 && end.bytesToClient > 0);
    });

    it('an invalid token is refused in the client’s own protocol', async () => {
      const err = await expectRefusal('alk_notatoken_xxxxxxxxxxxxxxxxxxxxxxxx', 'appdb', 'ERR_TOKEN_INVALID');
      assert.match(err.message, /not a valid/);
    });

    it('a missing token is refused', async () => {
      await expectRefusal('', 'appdb', 'ERR_TOKEN_MISSING');
    });

    it('an expired token is refused', async () => {
      const token = await h.server.createToken({ name: 'conf-short', groups: ['agents'], ttlMs: 1000 });
      await new Promise((r) => setTimeout(r, 1100));
      const err = await expectRefusal(token, 'appdb', 'ERR_TOKEN_EXPIRED');
      assert.match(err.message, /expired/);
    });

    it('a revoked token is refused', async () => {
      const token = await h.server.createToken({ name: 'conf-revoked', groups: ['agents'] });
      const revoked = await h.cli(['token', 'revoke', 'conf-revoked']);
      assert.equal(revoked.code, 0, revoked.stderr);
      const err = await expectRefusal(token, 'appdb', 'ERR_TOKEN_REVOKED');
      assert.match(err.message, /revoked/);
    });

    it('an unknown connection is refused and named', async () => {
      const err = await expectRefusal(agentToken, 'no_such_db', 'ERR_CONNECTION_UNKNOWN');
      assert.match(err.message, /no_such_db/);
    });

    it('an identity outside the access list is refused', async () => {
      const token = await h.server.createToken({ name: 'conf-outsider', groups: ['interns'] });
      const err = await expectRefusal(token, 'appdb', 'ERR_ACCESS_DENIED');
      assert.match(err.message, /no access/);
    });

    it('a user: entry in the access list admits that token name', async () => {
      const token = await h.server.createToken({ name: 'solo', groups: [] });
      const client = await driver.connect(h, token, 'appdb');
      assert.deepEqual(await client.run(driver.oneRowCommand), { rows: 1 });
      await client.close();
    });

    it('an unreachable target gives a clear error that hides its address', async () => {
      const err = await expectRefusal(agentToken, 'nowhere', 'ERR_UPSTREAM_UNREACHABLE');
      assert.match(err.message, /could not be reached/);
      assert.doesNotMatch(err.message, /127\.0\.0\.1|:1\b|port/);
    });

    it('garbage bytes get an error and a closed socket while others keep working', async () => {
      const client = await driver.connect(h, agentToken, 'appdb');
      const { reply, closed } = await driver.sendGarbage(
        h,
        Buffer.from('\x00\x00\x00\x08garbage!!\xff\xfe', 'latin1'),
      );
      assert.ok(closed, 'garbage socket closed');
      assert.ok(reply.length > 0, 'garbage client got an error');
      assert.deepEqual(await client.run(driver.oneRowCommand), { rows: 1 });
      await client.close();
    });

    it('revoking a token ends its live sessions within a second', async () => {
      const token = await h.server.createToken({ name: 'conf-live', groups: ['agents'] });
      const client = await driver.connect(h, token, 'appdb');
      await client.run(driver.oneRowCommand);
      const ended = client.ended();
      const started = Date.now();
      assert.equal((await h.cli(['token', 'revoke', 'conf-live'])).code, 0);
      const err = await ended;
      assert.ok(Date.now() - started < 1500, `ended after ${Date.now() - started} ms`);
      assert.equal(err?.wireCode, driver.wireCodeOf('ERR_TOKEN_REVOKED'));
    });

    it('the held credential never reaches a client, a log line or an audit row', async () => {
      await h.server.flushAudit();
      const rows = await h.server.store.db.selectFrom('audit_events').select('record').execute();
      for (const row of rows) assert.ok(!row.record.includes(h.heldPassword), 'audit row leaks the password');
      for (const line of h.logs) assert.ok(!line.includes(h.heldPassword), 'log line leaks the password');
      const messages = Object.values(errorCatalog).map((e) => e.message + e.action);
      for (const text of messages) assert.ok(!text.includes(h.heldPassword));
    });
  });
}

async function events(h: AirlockHarness, type: string) {
  const result = await h.cli(['audit', 'search', '--type', type, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as (SessionStartEvent | SessionEndEvent | CommandEvent)[];
}

/** Polls `check` until it holds (at most ~3 s). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not reached in time');
}
