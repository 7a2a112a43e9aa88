import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.js';

const execFileAsync = promisify(execFile);
let cluster: PostgresCluster;

before(async () => {
  cluster = await startPostgresCluster();
});
after(async () => {
  await cluster.stop();
});

test('a throwaway cluster answers SQL as the superuser', async () => {
  assert.equal(await cluster.psql('select 40 + 2'), '42');
});

test('the cluster requires a password (scram-sha-256, not trust)', async () => {
  await assert.rejects(
    execFileAsync(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-c', 'select 1'],
      {
        env: { ...process.env, PGPASSWORD: 'wrong', PGSSLMODE: 'disable' },
      },
    ),
    /password authentication failed/,
  );
});
