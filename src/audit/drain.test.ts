import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { KyselyPlugin } from 'kysely';
import { ManualClock } from '../core/clock.js';
import type { AirlockError } from '../core/errors.js';
import { openStore, type Store } from '../store/db.js';
import { anchorSignatureValid } from './chain.js';
import { AuditDrainer, type AuditDrainerOptions, readVerifiedAnchor } from './drain.js';
import type { AuditEventBody, SessionStartEvent } from './events.js';
import { Journal } from './journal.js';
import { SqliteDrainWorker, type WriteOutcome } from './sqlite-drain-worker.js';
import { verifyAudit } from './verify.js';

const key = Buffer.alloc(32, 3);
const ref = { subject: 'bot', kind: 'agent' as const, groups: ['agents'], issuer: 'airlock', chain: [] };

function scope(sessionId: string) {
  return { sessionId, identity: ref, connection: 'appdb', protocol: 'postgres' as const };
}
function start(sessionId: string): SessionStartEvent {
  return {
    ...scope(sessionId),
    type: 'session.start',
    client: { address: '10.0.0.9', port: 4, tls: true },
    outcome: 'success',
  };
}
function command(sessionId: string, commandId: number): AuditEventBody {
  return {
    ...scope(sessionId),
    type: 'command',
    commandId,
    channel: 'simple',
    text: `select ${commandId}`,
    action: 'sql.select',
    objects: [],
    decision: 'allow',
    rule: 'default',
  };
}
function end(sessionId: string, statements: number): AuditEventBody {
  return {
    ...scope(sessionId),
    type: 'session.end',
    durationMs: 10,
    bytesFromClient: 100,
    bytesToClient: 2000,
    statements,
    outcome: 'success',
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How a drainer writes: the same behaviour is expected of each. */
interface WriteMode {
  readonly name: string;
  readonly usesWorker?: boolean;
  readonly options: (store: Store) => Partial<AuditDrainerOptions>;
  /** Options that let a test make the store refuse the drainer's writes, and take it back. */
  readonly faults: (store: Store) => {
    readonly options: Partial<AuditDrainerOptions>;
    readonly fail: () => void;
    readonly recover: () => void;
  };
}

/** SQLite fails every write to a table that is not there (prepared statements re-check it). */
function hideAuditTable(store: Store) {
  return {
    options: {},
    fail: () => store.sqlite!.exec('alter table audit_events rename to audit_events_away'),
    recover: () => store.sqlite!.exec('alter table audit_events_away rename to audit_events'),
  };
}

const MODES: readonly WriteMode[] = [
  {
    name: 'kysely',
    options: () => ({}),
    faults: (store) => {
      let failing = false;
      const flaky: KyselyPlugin = {
        transformQuery(args) {
          if (failing) throw new Error('connection refused');
          return args.node;
        },
        transformResult: async (args) => args.result,
      };
      return {
        options: { db: store.db.withPlugin(flaky) },
        fail: () => (failing = true),
        recover: () => (failing = false),
      };
    },
  },
  {
    name: 'sqlite, main thread',
    options: (store) => ({ sqlite: store.sqlite!, workerMinRecords: Number.POSITIVE_INFINITY }),
    faults: hideAuditTable,
  },
  {
    name: 'sqlite, worker',
    usesWorker: true,
    options: (store) => ({ sqlite: store.sqlite!, workerMinRecords: 0 }),
    faults: hideAuditTable,
  },
];

for (const mode of MODES) describeDrainer(mode);

function describeDrainer(mode: WriteMode): void {
  describe(`AuditDrainer (${mode.name})`, () => {
    let dir: string;
    let store: Store;
    let clock: ManualClock;
    const cleanups: (() => Promise<void> | void)[] = [];
    const openJournal = () => Journal.open({ dir, node: 'node-a', clock, key });
    const count = async () => (await store.db.selectFrom('audit_events').select('seq').execute()).length;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'airlock-drain-'));
      store = await openStore(`sqlite:${join(dir, 'store.db')}`);
      clock = new ManualClock(Date.UTC(2026, 0, 1));
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function started(journal: Journal, options: Partial<ConstructorParameters<typeof AuditDrainer>[0]> = {}) {
      const drainer = new AuditDrainer({
        db: store.db,
        journal,
        key,
        clock,
        ...mode.options(store),
        ...options,
      });
      cleanups.push(
        () => journal.close(),
        () => drainer.stop(),
      );
      return drainer;
    }

    it('stores events with their columns, projects the session and signs the anchor', async () => {
      const journal = openJournal();
      const drainer = started(journal);
      await drainer.start();
      journal.append(start('s1'));
      journal.append(command('s1', 1));
      journal.append(command('s1', 2));
      journal.append({
        ...start('s2'),
        outcome: 'failure',
        error: { code: 'ERR_ACCESS_DENIED', message: 'no' },
      });
      await drainer.flush();
      assert.equal(drainer.lag, 0);
      const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
      assert.equal(rows.length, 4);
      const lines = readFileSync(journal.path, 'utf8').trim().split('\n');
      assert.deepEqual(
        rows.map((r) => r.record),
        lines,
        'the record column is the journal line, byte for byte',
      );
      assert.deepEqual(
        [
          rows[1]?.type,
          rows[1]?.session_id,
          rows[1]?.subject,
          rows[1]?.groups,
          rows[1]?.chain,
          rows[1]?.connection,
        ],
        ['command', 's1', 'bot', '["agents"]', '[]', 'appdb'],
      );
      let sessions = await store.db.selectFrom('sessions').selectAll().orderBy('id').execute();
      assert.deepEqual(
        sessions.map((s) => [s.id, s.statements, s.ended_at, s.outcome, s.error_code, s.client_address]),
        [
          ['s1', 2, null, null, null, '10.0.0.9'],
          ['s2', 0, '2026-01-01T00:00:00.000Z', 'failure', 'ERR_ACCESS_DENIED', '10.0.0.9'],
        ],
      );
      journal.append(command('s1', 3));
      clock.advance(10);
      journal.append(end('s1', 3));
      await drainer.flush();
      sessions = await store.db.selectFrom('sessions').selectAll().where('id', '=', 's1').execute();
      assert.deepEqual(
        sessions.map((s) => [s.statements, s.ended_at, s.outcome, s.bytes_from_client, s.bytes_to_client]),
        [[3, '2026-01-01T00:00:00.010Z', 'success', 100, 2000]],
      );
      const anchor = await store.db.selectFrom('audit_anchors').selectAll().executeTakeFirstOrThrow();
      assert.equal(anchor.seq, 6);
      assert.equal(anchor.hash, journal.head.hash);
      assert.ok(anchorSignatureValid(key, 'node-a', anchor.seq, anchor.hash, anchor.signature));
      assert.deepEqual(await readVerifiedAnchor(store.db, 'node-a', key), journal.head);
      await assert.rejects(readVerifiedAnchor(store.db, 'node-a', Buffer.alloc(32)), (err: AirlockError) => {
        return err.code === 'ERR_AUDIT_UNAVAILABLE';
      });
    });

    it('drains by itself shortly after appends, without flush', async () => {
      const journal = openJournal();
      const drainer = started(journal, { intervalMs: 20 });
      await drainer.start();
      for (let i = 1; i <= 3; i++) journal.append(command('s1', i));
      await waitFor(async () => (await count()) === 3);
    });

    it('batches large backlogs into several transactions', async () => {
      const journal = openJournal();
      for (let i = 1; i <= 35; i++) journal.append(command('s1', i));
      const drainer = started(journal, { batchSize: 10 });
      await drainer.start();
      assert.equal(await count(), 35);
      assert.equal((await verifyAudit(store.db, key)).ok, true);
    });

    it('recovers what a journal wrote but never drained (dropped without flush)', async () => {
      const first = openJournal();
      // Never drains by itself: it stands for the process that dies below.
      const firstDrainer = new AuditDrainer({
        db: store.db,
        journal: first,
        key,
        clock,
        ...mode.options(store),
        intervalMs: 3_600_000,
      });
      await firstDrainer.start();
      first.append(start('s1'));
      await firstDrainer.flush();
      first.append(command('s1', 1));
      first.append(command('s1', 2));
      // Neither flushed nor stopped: the process "dies" here. close() only releases the lock.
      first.close();
      // Its remains (a worker, say) go at the end; stopping tries to store what is stored by then.
      cleanups.push(() => firstDrainer.stop());
      const second = openJournal();
      const drainer = started(second);
      await drainer.start();
      assert.equal(await count(), 3);
      second.append(end('s1', 2));
      await drainer.flush();
      assert.equal((await verifyAudit(store.db, key)).ok, true);
    });

    it('recovers every record of a gateway killed with SIGKILL', async () => {
      const script = `
      const { Journal } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'journal.ts')).href)});
      const journal = Journal.open({ dir: process.env.DIR, node: 'node-a', key: Buffer.alloc(32, 3),
        clock: { now: () => new Date(0), nowMs: () => 0 } });
      for (let i = 1; i <= 50; i++) journal.append({ type: 'token.revoked', name: 't' + i,
        actor: { subject: 'op', kind: 'human', groups: [], issuer: 'local', chain: [] } });
      process.kill(process.pid, 'SIGKILL');
    `;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, DIR: dir },
        encoding: 'utf8',
      });
      assert.equal(child.signal, 'SIGKILL', child.stderr);
      const journal = openJournal();
      assert.equal(journal.seq, 50);
      const drainer = started(journal);
      await drainer.start();
      assert.equal(await count(), 50);
      assert.equal((await verifyAudit(store.db, key)).ok, true);
    });

    it('keeps records when the store fails, reports it, and stores them once it is back', async () => {
      const faults = mode.faults(store);
      const journal = openJournal();
      const errors: AirlockError[] = [];
      const drainer = started(journal, { ...faults.options, onError: (err) => errors.push(err) });
      await drainer.start();
      journal.append(command('s1', 1));
      faults.fail();
      journal.append(command('s1', 2));
      await assert.rejects(drainer.flush(), (err: AirlockError) => err.code === 'ERR_AUDIT_UNAVAILABLE');
      assert.ok(drainer.failures >= 1);
      assert.equal(drainer.lag, 2);
      faults.recover();
      journal.append(command('s1', 3));
      await drainer.flush();
      assert.equal(await count(), 3);
      assert.equal((await verifyAudit(store.db, key)).ok, true);
    });

    it('stores what it holds in memory while it keeps up, without reading the file again', async () => {
      const journal = openJournal();
      const drainer = started(journal);
      await drainer.start();
      journal.append(start('s1'));
      journal.append(command('s1', 1));
      const lines = readFileSync(journal.path, 'utf8').trim().split('\n');
      // Same length, other content: only a drainer that read the file again would store this.
      writeFileSync(journal.path, readFileSync(journal.path, 'utf8').replace('select 1', 'select 7'));
      await drainer.flush();
      const rows = await store.db.selectFrom('audit_events').select('record').orderBy('seq').execute();
      assert.deepEqual(
        rows.map((r) => r.record),
        lines,
      );
      assert.equal(drainer.corruptLines, 0);
    });

    it('rotates a drained journal past the size limit; the chain continues across restarts', async () => {
      const journal = openJournal();
      // A command record is about 500 bytes: ten exceed the limit, two do not.
      const drainer = started(journal, { rotateBytes: 3000 });
      await drainer.start();
      for (let i = 1; i <= 10; i++) journal.append(command('s1', i));
      await drainer.flush();
      assert.equal(statSync(journal.path).size, 0, 'rotated');
      for (let i = 11; i <= 12; i++) journal.append(command('s1', i));
      await drainer.flush();
      const size = statSync(journal.path).size;
      assert.ok(size > 0 && size < 3000, `journal holds only the records after the rotation (${size} bytes)`);
      await drainer.stop();
      journal.close();
      const reopened = openJournal();
      const next = new AuditDrainer({ db: store.db, journal: reopened, key, clock, ...mode.options(store) });
      cleanups.push(
        () => reopened.close(),
        () => next.stop(),
      );
      await next.start();
      assert.equal(reopened.append(command('s1', 13)).seq, 13);
      await next.flush();
      assert.equal(await count(), 13);
      const report = await verifyAudit(store.db, key);
      assert.equal(report.ok, true, report.firstBad?.reason);
    });

    it('refuses to start when the store is ahead of the journal, unless it resumes from the anchor', async () => {
      const journal = openJournal();
      const drainer = new AuditDrainer({ db: store.db, journal, key, clock, ...mode.options(store) });
      await drainer.start();
      journal.append(command('s1', 1));
      journal.append(command('s1', 2));
      await drainer.stop();
      journal.close();
      rmSync(journal.path);
      const lost = openJournal();
      const refused = new AuditDrainer({ db: store.db, journal: lost, key, clock, ...mode.options(store) });
      await assert.rejects(refused.start(), /journal ends at #0/);
      lost.close();
      const anchor = await readVerifiedAnchor(store.db, 'node-a', key);
      const resumed = Journal.open({
        dir,
        node: 'node-a',
        clock,
        key,
        ...(anchor ? { resumeFrom: anchor } : {}),
      });
      const ok = started(resumed);
      await ok.start();
      assert.equal(resumed.append(command('s1', 3)).seq, 3);
      await ok.flush();
      assert.equal((await verifyAudit(store.db, key)).ok, true);
    });

    it('skips unreadable lines in the middle of the file and reports them', async () => {
      const journal = openJournal();
      journal.append(command('s1', 1));
      journal.append(command('s1', 2));
      journal.close();
      const [first, second] = readFileSync(journal.path, 'utf8').trim().split('\n');
      writeFileSync(journal.path, `${first}\nthis is not json\n${second}\n`);
      const again = openJournal();
      const errors: AirlockError[] = [];
      const drainer = started(again, { onError: (err) => errors.push(err) });
      await drainer.start();
      assert.equal(drainer.corruptLines, 1);
      assert.match(errors[0]?.message ?? '', /unreadable journal line/);
      assert.equal(await count(), 2);
    });

    it('does not stall on a hand-edited journal: foreign and odd records are skipped or stored, verify names them', async () => {
      const journal = openJournal();
      const first = journal.append(command('s1', 1));
      journal.close();
      const foreign = JSON.stringify({ ...first, node: 'node-b', seq: 2 });
      const odd = JSON.stringify({
        type: 'session.start',
        sessionId: 's9',
        identity: 'not an object',
        node: 'node-a',
        seq: 2,
        time: 't',
        prevHash: first.hash,
        hash: 'f'.repeat(64),
      });
      writeFileSync(journal.path, `${readFileSync(journal.path, 'utf8')}${foreign}\n${odd}\n`);
      const again = openJournal();
      const errors: AirlockError[] = [];
      const drainer = started(again, { onError: (err) => errors.push(err) });
      await drainer.start();
      assert.equal(again.append(command('s1', 3)).seq, 3);
      await drainer.flush();
      assert.equal(await count(), 3);
      assert.ok(errors.some((err) => /another node/.test(err.message)));
      const session = await store.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', 's9')
        .executeTakeFirstOrThrow();
      assert.deepEqual([session.subject, session.connection, session.client_address], [null, '', '']);
      const report = await verifyAudit(store.db, key);
      assert.equal(report.firstBad?.reason, 'event node-a#2: hash mismatch (edited)');
    });

    for (const committed of mode.usesWorker ? [true, false] : []) {
      it(`stores a batch exactly once when the worker dies ${committed ? 'after' : 'before'} its commit`, async (t) => {
        const write = SqliteDrainWorker.prototype.write;
        // The worker "dies" at the chosen moment: its caller learns only that the batch is lost.
        t.mock.method(
          SqliteDrainWorker.prototype,
          'write',
          async function (this: SqliteDrainWorker, ...args: Parameters<typeof write>): Promise<WriteOutcome> {
            if (committed) assert.equal(await write.apply(this, args), 'stored');
            return 'lost';
          },
        );
        const journal = openJournal();
        const errors: AirlockError[] = [];
        const drainer = started(journal, { onError: (err) => errors.push(err) });
        await drainer.start();
        journal.append(start('s1'));
        journal.append(command('s1', 1));
        journal.append(command('s1', 2));
        await drainer.flush();
        assert.equal(drainer.failures, 0, 'not a failure: the batch is stored at once, here');
        assert.equal(drainer.lag, 0);
        assert.equal(await count(), 3);
        const session = await store.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
        assert.equal(session.statements, 2);
        assert.ok(errors.some((err) => /drain worker stopped/.test(err.message)));
        assert.equal((await verifyAudit(store.db, key)).ok, true);
      });
    }
  });
}
