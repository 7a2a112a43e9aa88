/**
 * @module Stores for the review services' tests: each suite runs on SQLite, and on PostgreSQL when
 * its server binaries are installed (a throwaway cluster), since the services' SQL must work on both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import {
  findPostgresBinDir,
  type PostgresCluster,
  startPostgresCluster,
} from '../../demo/postgres-cluster.js';
import { openStore, type Store } from '../../store/db.js';

export type StoreKind = 'sqlite' | 'postgres';

/** A store for one test suite and how to get rid of it. */
export interface TestStore {
  readonly store: Store;
  close(): Promise<void>;
}

/** Opens an empty, migrated store of `kind` in a temp dir (or a new cluster). */
export async function openTestStore(kind: StoreKind, prefix: string): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let cluster: PostgresCluster | undefined;
  let store: Store;
  if (kind === 'postgres') {
    cluster = await startPostgresCluster();
    await cluster.psql('create database airlock');
    store = await openStore(cluster.url('airlock'));
  } else {
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  }
  return {
    store,
    async close() {
      await store.close();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Declares `suite` on SQLite, and on PostgreSQL unless its server binaries are missing. */
export function onEachStore(suite: (kind: StoreKind) => void): void {
  describe('on SQLite', () => suite('sqlite'));
  describe(
    'on PostgreSQL',
    { skip: findPostgresBinDir() ? false : 'no PostgreSQL server binaries installed' },
    () => suite('postgres'),
  );
}
