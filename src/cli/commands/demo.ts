/**
 * @module `airlock demo`: Airlock on embedded defaults — a SQLite store, a throwaway PostgreSQL
 * target with a small `customers` table, a demo agent token — and the exact psql command to try.
 * Ctrl-C stops everything and leaves nothing running.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { AirlockError } from '../../core/errors.js';
import {
  findPostgresBinDir,
  type PostgresCluster,
  startPostgresCluster,
} from '../../demo/postgres-cluster.js';
import { seedDemoDatabase } from '../../demo/seed.js';
import { startServer } from '../../server/start.js';
import { say } from '../io.js';
import { untilSignal } from '../signals.js';
import type { CommandContext } from './context.js';

/** Registers `airlock demo`. */
export function demoCommand(program: Command, { io }: CommandContext): void {
  program
    .command('demo')
    .description('start Airlock with a demo PostgreSQL target and print what to try')
    .option('--api-port <port>', 'API port', '8009')
    .option('--pg-port <port>', 'PostgreSQL listener port', '15432')
    .action(async (opts: { apiPort: string; pgPort: string }) => {
      if (!findPostgresBinDir()) {
        throw new AirlockError('ERR_UNSUPPORTED', 'PostgreSQL server binaries not found', {
          userMessage: 'the demo needs PostgreSQL server binaries (Debian: apt-get install postgresql)',
        });
      }
      const dir = mkdtempSync(join(tmpdir(), 'airlock-demo-'));
      let cluster: PostgresCluster | undefined;
      try {
        cluster = await startPostgresCluster();
        const password = randomBytes(16).toString('hex');
        await seedDemoDatabase(cluster, password);
        writeFileSync(join(dir, 'demo-password'), password, { mode: 0o600 });
        const configFile = join(dir, 'airlock.yaml');
        writeFileSync(configFile, demoConfig(cluster.port, Number(opts.apiPort), Number(opts.pgPort)));
        const config = await loadConfig(configFile, io.env);
        const server = await startServer(config, { env: io.env });
        const token = await server.createToken({
          name: 'demo-agent',
          groups: ['agents'],
          kind: 'agent',
          ttlMs: 8 * 3600_000,
        });
        await server.createToken({
          name: 'demo-admin',
          groups: ['platform'],
          kind: 'human',
          ttlMs: 8 * 3600_000,
        });
        const pg = server.addresses.postgres!;
        const api = server.addresses.api;
        const psql = `PGPASSWORD='${token}' psql "host=${pg.host} port=${pg.port} dbname=demo user=demo-agent sslmode=require"`;
        say(io, '');
        say(io, 'Airlock demo is running.');
        say(
          io,
          `  API:        http://${api.host}:${api.port}  (OpenAPI: /api/v1/openapi.json, metrics: /metrics)`,
        );
        say(
          io,
          `  PostgreSQL: ${pg.host}:${pg.port}, connection "demo" (a throwaway cluster; Airlock holds its password)`,
        );
        say(io, '');
        say(io, 'Try it (the password is the demo agent’s Airlock token):');
        say(io, `  ${psql} -c "select * from customers"`);
        say(io, '');
        say(io, 'Then look at what Airlock recorded:');
        say(io, `  npm run -s airlock -- --config ${configFile} sessions list`);
        say(io, `  npm run -s airlock -- --config ${configFile} audit search --identity demo-agent`);
        say(io, `  npm run -s airlock -- --config ${configFile} audit verify`);
        say(io, '');
        say(io, 'Press Ctrl-C to stop everything.');
        await untilSignal();
        say(io, 'stopping...');
        await server.stop();
      } finally {
        await cluster?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}

function demoConfig(upstreamPort: number, apiPort: number, pgPort: number): string {
  return `# Written by airlock demo; removed when the demo stops.
store: sqlite:./airlock.db
listen:
  api: 127.0.0.1:${apiPort}
  postgres: 127.0.0.1:${pgPort}
admins: [group:platform]
auditors: [group:security]
logging: { level: warn }
connections:
  - name: demo
    type: postgres
    host: 127.0.0.1
    port: ${upstreamPort}
    database: demo
    user: demo_app
    password: { file: ./demo-password }
    tls: { mode: disable }
    tags: { env: demo }
    access: [group:agents]
`;
}
