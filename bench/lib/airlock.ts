/**
 * @module Starts Airlock for the bench in a child process (see `airlock-child.mjs`) with a config
 * built in code: SQLite store and state in a temp dir, loopback listeners on free ports, one
 * connection `bench` to the throwaway cluster and its guarded and masked twins, silent logging.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirlockConfig } from '../../src/core/config.js';
import type { Connection, ConnectionMasking } from '../../src/core/connection.js';
import { RECOMMENDED_DENY } from '../../src/policy/shorthand-rules.js';

/** Where the bench database lives and how Airlock logs in to it. */
export interface AirlockBenchTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** The bench's Airlock configuration: what `airlock.yaml` would hold, built in code. */
export function benchAirlockConfig(stateDir: string, target: AirlockBenchTarget): AirlockConfig {
  const connection: Connection = {
    name: target.database,
    type: 'postgres',
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: { value: target.password },
    tls: { mode: 'disable' },
    tags: {},
    access: ['group:bench'],
  };
  return {
    file: '',
    store: `sqlite:${join(stateDir, 'airlock.db')}`,
    stateDir,
    node: 'bench',
    listen: { api: { host: '127.0.0.1', port: 0 }, postgres: { host: '127.0.0.1', port: 0 } },
    admins: [],
    auditors: [],
    identity: { oidc: [] },
    connections: [
      connection,
      {
        // The same target with the guardrail deny list (no review rules: pgbench's
        // statements are bounded and must all run), for guardrails-on vs -off in one run.
        ...connection,
        name: guardedConnectionName(target.database),
        guardrails: { deny: RECOMMENDED_DENY, review: [], onUnparsed: 'deny', policies: [] },
      },
      {
        // The same target with masking, for masking-on vs -off in one run: two masked columns of
        // pgbench_accounts (`filler` char(84) redacted, `abalance` integer partial, which re-types it
        // to text) and content detection on every text value.
        ...connection,
        name: maskedConnectionName(target.database),
        masking: BENCH_MASKING,
      },
    ],
    logging: { level: 'silent' },
    warnings: [],
  };
}

/** The masking of the `-masked` twin (docs/masking.md). */
export const BENCH_MASKING: ConnectionMasking = {
  columns: [
    { table: 'pgbench_accounts', column: 'filler', strategy: { kind: 'redact' } },
    { table: 'pgbench_accounts', column: 'abalance', strategy: { kind: 'partial', keep: 4 } },
  ],
  detect: ['EMAIL', 'CREDIT_CARD'],
  onDerived: 'redact',
  denyPredicates: false,
  region: 'US',
};

/** The name of the masked twin of the bench connection. */
export function maskedConnectionName(database: string): string {
  return `${database}-masked`;
}

/** The name of the guarded twin of the bench connection. */
export function guardedConnectionName(database: string): string {
  return `${database}-guarded`;
}

/** A running Airlock child. */
export interface BenchAirlock {
  /** The child's pid, for reading its CPU time. */
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** The bench agent's Airlock token (the password pgbench sends). */
  readonly token: string;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./airlock-child.mjs', import.meta.url));

/** Parent → child. */
export type ToAirlockChild =
  | { readonly type: 'start'; readonly config: AirlockConfig }
  | { readonly type: 'stop' };

/** Child → parent. */
export type FromAirlockChild =
  | {
      readonly type: 'ready';
      readonly postgres: { readonly host: string; readonly port: number };
      readonly token: string;
    }
  | { readonly type: 'failed'; readonly message: string };
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Forks Airlock (the built `dist/`, run by plain node), sends it the config and waits for its
 * listener and token. Needs `npm run build` first (`npm run bench` does it).
 */
export async function startBenchAirlock(target: AirlockBenchTarget): Promise<BenchAirlock> {
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  // AIRLOCK_BENCH_PROFILE=DIR writes a V8 CPU profile of the Airlock process there when it exits.
  const profileDir = process.env.AIRLOCK_BENCH_PROFILE;
  // AIRLOCK_BENCH_NODE_ARGS="--flag ..." adds node/V8 flags to the Airlock process, for experiments
  // (docs/benchmarks.md, "Memory and the drain"); the child already sets what `airlock serve` sets.
  const nodeArgs = (process.env.AIRLOCK_BENCH_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
  // `serve`: the child sets the V8 flags `airlock serve` sets (src/cli/node-flags.ts reads argv).
  const child = fork(CHILD, ['serve'], {
    execArgv: [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const cleanupDir = () => rmSync(stateDir, { recursive: true, force: true });
  const ready = await new Promise<Extract<FromAirlockChild, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Airlock did not start within 60 s')), START_TIMEOUT_MS);
    child.on('message', (message: FromAirlockChild) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message);
      else reject(new Error(`Airlock failed to start: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Airlock exited during start (status ${code ?? signal})`));
    });
    child.send({ type: 'start', config: benchAirlockConfig(stateDir, target) } satisfies ToAirlockChild);
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await waitExit(child, 1000);
    cleanupDir();
    throw err;
  });
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid!,
    host: ready.postgres.host,
    port: ready.postgres.port,
    token: ready.token,
    stop() {
      stopped ??= (async () => {
        if (child.connected) child.send({ type: 'stop' } satisfies ToAirlockChild);
        else child.kill('SIGTERM');
        await waitExit(child, STOP_TIMEOUT_MS);
        cleanupDir();
      })();
      return stopped;
    },
  };
}
