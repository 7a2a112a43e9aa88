/**
 * `airlock demo` as a newcomer runs it: it starts, prints a psql command that works as printed,
 * and Ctrl-C (SIGINT) stops everything, leaving no server and no temp dir behind.
 */
import assert from 'node:assert/strict';
import { exec, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const execAsync = promisify(exec);
const ROOT = new URL('../../', import.meta.url).pathname;

test('airlock demo prints a working psql command and Ctrl-C leaves nothing running', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'demo', '--api-port', '0', '--pg-port', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes('Press Ctrl-C') && Date.now() < deadline) {
      if (child.exitCode !== null) assert.fail(`demo exited early:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(output, /Press Ctrl-C/, output);
    const command = output
      .split('\n')
      .find((line) => line.includes('psql "host='))
      ?.trim();
    assert.ok(command, `no psql command printed:\n${output}`);
    const { stdout } = await execAsync(command, { env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
    assert.match(stdout, /Ada Lovelace/);
    assert.match(stdout, /\(4 rows\)/);
    const stateDir = /--config (\S+)\/airlock\.yaml/.exec(output)?.[1];
    assert.ok(stateDir && existsSync(stateDir), 'demo state dir exists while running');

    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.ok(!existsSync(stateDir), 'demo state dir removed');
    const { stdout: ps } = await execAsync('ps -eo args');
    assert.ok(!ps.includes(stateDir), 'nothing of the demo still runs');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
