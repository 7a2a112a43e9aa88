/**
 * @module `airlock login --server URL` and `airlock logout`. Login runs the OIDC device flow
 * against the issuer the server names, exchanges the OIDC access token for a short Airlock token,
 * and stores it (src/cli/credentials.ts); later commands use it when no --token / AIRLOCK_TOKEN is
 * given, and --server defaults to the stored server. `--browser` uses the authorization code flow
 * with PKCE and a loopback redirect instead of a code to type.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import { browserLogin, deviceLogin, type LoginResult } from '../../identity/login.js';
import { deleteCredentials, loadCredentials, saveCredentials } from '../credentials.js';
import { type CliIo, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { durationOption } from './grants.js';

/** Registers `airlock login` and `airlock logout`. */
export function loginCommands(program: Command, { io }: CommandContext): void {
  program
    .command('login')
    .description('log in with your identity provider (device code) and store a short Airlock token')
    .option('--ttl <duration>', 'Airlock token lifetime asked for (capped by the server), e.g. 8h')
    .option('--browser', 'log in in a browser on this machine (PKCE, loopback redirect) instead')
    .action(async (opts: { ttl?: string; browser?: boolean }, cmd: Command) => {
      const flags = globals(cmd);
      const server = flags.server ?? io.env.AIRLOCK_SERVER ?? safeStoredServer(io.env);
      if (!server) {
        throw new AirlockError('ERR_BAD_REQUEST', 'login without --server', {
          userMessage: 'pass --server URL (the Airlock API address) or set AIRLOCK_SERVER',
        });
      }
      const ttlMs = durationOption('--ttl', opts.ttl);
      const ttl = ttlMs !== undefined ? { ttlMs } : {};
      let result: LoginResult;
      if (opts.browser) {
        result = await browserLogin(server, {
          ...ttl,
          open(url) {
            say(io, `To log in, open ${url}`);
            say(io, 'Waiting for the browser to come back...');
            openBrowser(io, url);
          },
        });
      } else {
        result = await deviceLogin(server, {
          ...ttl,
          prompt(prompt) {
            say(io, `To log in, open ${prompt.verificationUri} and enter the code ${prompt.userCode}`);
            if (prompt.verificationUriComplete) say(io, `(or open ${prompt.verificationUriComplete})`);
            say(io, `Waiting for approval (the code expires in ${Math.round(prompt.expiresIn / 60)} min)...`);
          },
        });
      }
      const file = saveCredentials(io.env, {
        server: result.server,
        token: result.token,
        expiresAt: result.expiresAt,
      });
      say(
        io,
        `Logged in to ${result.server} through ${result.issuer}; the token expires ${result.expiresAt}`,
      );
      say(io, `Stored in ${file}`);
    });

  program
    .command('logout')
    .description('delete the token stored by airlock login')
    .action(() => {
      const stored = safeStoredServer(io.env);
      const file = deleteCredentials(io.env);
      if (file) say(io, `Logged out${stored ? ` of ${stored}` : ''}: deleted ${file}`);
      else say(io, 'Not logged in: no stored token');
    });
}

/**
 * Best effort: opens `url` in the desktop browser when a person is at a terminal (never in scripts
 * or tests, whose stdout is no TTY). The URL is printed either way.
 */
function openBrowser(io: CliIo, url: string): void {
  if (!(io.stdout as { isTTY?: boolean }).isTTY) return;
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
}

/** The stored server, ignoring a damaged file (login replaces it, logout deletes it). */
function safeStoredServer(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return loadCredentials(env)?.server;
  } catch {
    return undefined;
  }
}
