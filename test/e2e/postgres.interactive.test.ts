/**
 * Interactive psql through Airlock, driven in a real terminal (tmux): the prompt, a query typed at
 * it, a multi-line statement, and \q.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const execFileAsync = promisify(execFile);
const socket = `airlock-e2e-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => execFileAsync('tmux', ['-L', socket, ...args]);

/** Types a line at the terminal. tmux reads a `;` ending an argument as its own command separator, so semicolons go as hex key 3b. */
async function typeLine(text: string): Promise<void> {
  const parts = text.split(';');
  for (const [i, part] of parts.entries()) {
    if (part) await tmux('send-keys', '-t', 'psql', '-l', part);
    if (i < parts.length - 1) await tmux('send-keys', '-t', 'psql', '-H', '3b');
  }
  await tmux('send-keys', '-t', 'psql', 'Enter');
}

async function screenUntil(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = (await tmux('capture-pane', '-p', '-t', 'psql', '-S', '-100')).stdout;
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`terminal never showed ${pattern}:\n${screen}`);
}

describe('interactive psql through Airlock', () => {
  let h: AirlockHarness;

  before(async () => {
    h = await startAirlock();
  });
  after(async () => {
    await tmux('kill-server').catch(() => {});
    await h?.stop();
  });

  test('a person types queries at the psql prompt', async () => {
    const token = await h.server.createToken({ name: 'typist', groups: ['agents'], kind: 'human' });
    const pg = h.server.addresses.postgres!;
    await tmux(
      'new-session',
      '-d',
      '-s',
      'psql',
      '-x',
      '160',
      '-y',
      '50',
      '-e',
      `PGPASSWORD=${token}`,
      `psql -X "host=${pg.host} port=${pg.port} dbname=appdb user=typist sslmode=require"`,
    );
    await screenUntil(/appdb=>\s*$/m);
    await typeLine("select 'typed' || ' at the prompt' as greeting;");
    await screenUntil(/typed at the prompt\n\(1 row\)/);
    await typeLine('select 6 *');
    await screenUntil(/appdb->\s*$/m);
    await typeLine('7 as answer;');
    await screenUntil(/\s+42\n\(1 row\)/);
    await typeLine('\\q');
    await h.server.flushAudit();
    const found = await h.cli(['audit', 'search', '--identity', 'typist', '--type', 'command', '--json']);
    const texts = (JSON.parse(found.stdout) as { text: string }[]).map((e) => e.text);
    assert.ok(texts.some((t) => t.includes("'typed' || ' at the prompt'")));
    assert.ok(texts.some((t) => /select 6 \*\s+7 as answer;/.test(t)));
  });
});
