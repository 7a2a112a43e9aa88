/**
 * @module How a person logs in to Airlock from a terminal: the server names its OIDC issuer and
 * public client (`GET /api/v1/auth/config`), the CLI runs the device authorization grant (RFC 8628)
 * against that issuer with `openid-client`, the person approves the shown code in any browser, and
 * the OIDC access token is exchanged (RFC 8693, `POST /api/v1/token/exchange`) for a short Airlock
 * token, which is what psql, ssh and mysql password prompts can take. `browserLogin` is the same
 * with the authorization code flow, PKCE and a loopback redirect (RFC 8252) instead of a code to
 * type. Nothing here touches files or the terminal: the caller prints the prompt and stores the
 * result.
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @see https://www.rfc-editor.org/rfc/rfc8252
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { AirlockError } from '../core/errors.js';

/** `GET /api/v1/auth/config`, as the CLI reads it. */
export interface LoginConfig {
  readonly oidc?: {
    readonly name: string;
    readonly issuer: string;
    readonly clientId: string;
    readonly scope: string;
  };
  readonly tokenExchange: string;
}

/** What the person must do: open the URL and enter (or confirm) the code. */
export interface DevicePrompt {
  readonly verificationUri: string;
  /** The URL with the code filled in, when the issuer offers one. */
  readonly verificationUriComplete?: string;
  readonly userCode: string;
  /** Seconds until the code expires. */
  readonly expiresIn: number;
}

/** A finished login: the Airlock token and when it expires. */
export interface LoginResult {
  readonly server: string;
  readonly token: string;
  /** ISO-8601. */
  readonly expiresAt: string;
  /** The issuer's name in Airlock's config. */
  readonly issuer: string;
}

/** Options for `deviceLogin`. */
export interface DeviceLoginOptions {
  /** Called once the code exists; print it for the person. */
  readonly prompt: (prompt: DevicePrompt) => void;
  /** Airlock token lifetime asked for, in ms (the server caps it at the OIDC token's expiry). */
  readonly ttlMs?: number;
  /** Aborts polling (Ctrl-C, tests). */
  readonly signal?: AbortSignal;
}

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Reads how to log in to the server at `server`. */
export async function fetchLoginConfig(server: string): Promise<LoginConfig> {
  const response = await call(server, `${base(server)}/api/v1/auth/config`, {});
  if (!response.ok) {
    throw new AirlockError('ERR_BAD_REQUEST', `auth config ${response.status}`, {
      userMessage: `${server} did not answer /api/v1/auth/config (HTTP ${response.status}); is it an Airlock server?`,
    });
  }
  return (await response.json()) as LoginConfig;
}

/** The server's login settings and the discovered issuer. */
async function prepare(server: string): Promise<{
  config: LoginConfig;
  login: NonNullable<LoginConfig['oidc']>;
  issuer: oidc.Configuration;
}> {
  const config = await fetchLoginConfig(server);
  const login = config.oidc;
  if (!login) {
    throw new AirlockError('ERR_BAD_REQUEST', 'server has no identity.login', {
      userMessage: `${server} has no login issuer configured (identity.login); ask an admin for a token instead`,
    });
  }
  return { config, login, issuer: await discover(login.issuer, login.clientId) };
}

/** Runs the whole device login against `server` and returns the Airlock token. */
export async function deviceLogin(server: string, options: DeviceLoginOptions): Promise<LoginResult> {
  const { config, login, issuer } = await prepare(server);
  let authorization: oidc.DeviceAuthorizationResponse;
  try {
    authorization = await oidc.initiateDeviceAuthorization(issuer, { scope: login.scope });
  } catch (cause) {
    throw idpError(login.name, 'refused the device authorization request', cause);
  }
  options.prompt({
    verificationUri: authorization.verification_uri,
    ...(authorization.verification_uri_complete
      ? { verificationUriComplete: authorization.verification_uri_complete }
      : {}),
    userCode: authorization.user_code,
    expiresIn: authorization.expires_in,
  });
  let tokens: oidc.TokenEndpointResponse;
  try {
    tokens = await oidc.pollDeviceAuthorizationGrant(
      issuer,
      authorization,
      undefined,
      options.signal ? { signal: options.signal } : undefined,
    );
  } catch (cause) {
    throw loginFailed(login.name, cause);
  }
  const exchanged = await exchangeForAirlockToken(
    server,
    config.tokenExchange,
    tokens.access_token,
    options.ttlMs,
  );
  return { server: base(server), ...exchanged, issuer: login.name };
}

/** Options for `browserLogin`. */
export interface BrowserLoginOptions {
  /** Called with the authorization URL once the loopback listener is up: open it in a browser. */
  readonly open: (url: string) => void;
  readonly ttlMs?: number;
  /** How long to wait for the browser to come back (default 5 min). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Logs in with the authorization code flow and PKCE, the IdP redirecting the browser to a one-shot
 * listener on 127.0.0.1 (any port: RFC 8252 7.3; the client registers `http://127.0.0.1/callback`).
 */
export async function browserLogin(server: string, options: BrowserLoginOptions): Promise<LoginResult> {
  const { config, login, issuer } = await prepare(server);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  try {
    const redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
    const url = oidc.buildAuthorizationUrl(issuer, {
      redirect_uri: redirectUri,
      scope: login.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const returned = waitForCallback(listener, redirectUri, options.timeoutMs ?? 300_000, options.signal);
    options.open(url.href);
    const callback = await returned;
    let tokens: oidc.TokenEndpointResponse;
    try {
      tokens = await oidc.authorizationCodeGrant(issuer, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
    } catch (cause) {
      throw loginFailed(login.name, cause);
    }
    const exchanged = await exchangeForAirlockToken(
      server,
      config.tokenExchange,
      tokens.access_token,
      options.ttlMs,
    );
    return { server: base(server), ...exchanged, issuer: login.name };
  } finally {
    listener.closeAllConnections();
    listener.close();
  }
}

/** The first request to the callback path, as the URL openid-client checks. */
function waitForCallback(
  listener: Server,
  redirectUri: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<URL> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(
        new AirlockError('ERR_TOKEN_EXPIRED', 'browser login timed out', {
          userMessage: 'the browser did not come back in time; run `airlock login --browser` again',
        }),
      );
    }, timeoutMs);
    const onAbort = () => {
      finish();
      reject(
        new AirlockError('ERR_UNAUTHENTICATED', 'browser login aborted', {
          userMessage: 'the login was cancelled',
        }),
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      listener.removeAllListeners('request');
    };
    listener.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', redirectUri);
      if (url.pathname !== '/callback') {
        res.statusCode = 404;
        res.end();
        return;
      }
      finish();
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(
        url.searchParams.has('code')
          ? 'Airlock: you are logged in; you can close this window.\n'
          : 'Airlock: the login failed; see the terminal.\n',
      );
      resolve(url);
    });
  });
}

/** Exchanges an OIDC access token for a short Airlock token acting as the same person. */
export async function exchangeForAirlockToken(
  server: string,
  path: string,
  accessToken: string,
  ttlMs?: number,
): Promise<{ token: string; expiresAt: string }> {
  const form = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: accessToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
  });
  if (ttlMs !== undefined) form.set('requested_lifetime', String(Math.max(1, Math.floor(ttlMs / 1000))));
  const response = await call(server, new URL(path, `${base(server)}/`).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    airlock_expires_at?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || typeof body.access_token !== 'string') {
    const code = response.status === 401 ? 'ERR_TOKEN_INVALID' : 'ERR_BAD_REQUEST';
    throw new AirlockError(code, `token exchange ${response.status} ${body.error ?? ''}`, {
      userMessage: `Airlock refused the login: ${body.error_description ?? body.error ?? `HTTP ${response.status}`}`,
    });
  }
  const expiresAt =
    body.airlock_expires_at ?? new Date(Date.now() + (body.expires_in ?? 0) * 1000).toISOString();
  return { token: body.access_token, expiresAt };
}

/** Discovery for a public client. Plain http only for loopback issuers (local and test IdPs). */
async function discover(issuerUrl: string, clientId: string): Promise<oidc.Configuration> {
  const url = new URL(issuerUrl);
  const insecure = url.protocol === 'http:' && isLoopback(url.hostname);
  try {
    return await oidc.discovery(
      url,
      clientId,
      undefined,
      oidc.None(),
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
  } catch (cause) {
    throw idpError(issuerUrl, 'could not be discovered', cause);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}

function idpError(issuer: string, what: string, cause: unknown): AirlockError {
  const reason = reasonOf(cause);
  return new AirlockError('ERR_IDP_UNAVAILABLE', `issuer ${issuer} ${what}: ${reason}`, {
    userMessage: `the identity provider ${issuer} ${what}: ${reason}`,
    cause,
  });
}

/** The error's message and, for openid-client's wrapped errors, the specific reason under it. */
function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? cause.cause.message : undefined;
  return inner && inner !== cause.message ? `${cause.message} (${inner})` : cause.message;
}

/** A device grant that ended without tokens: denied, expired, aborted, or the IdP failed. */
function loginFailed(issuer: string, cause: unknown): AirlockError {
  const code = (cause as { error?: string }).error;
  if (code === 'access_denied') {
    return new AirlockError('ERR_UNAUTHENTICATED', 'device login denied', {
      userMessage: 'the login was denied at the identity provider',
      cause,
    });
  }
  if (code === 'expired_token') {
    return new AirlockError('ERR_TOKEN_EXPIRED', 'device code expired', {
      userMessage: 'the login code expired before it was approved; run `airlock login` again',
      cause,
    });
  }
  if (cause instanceof Error && cause.name === 'AbortError') {
    return new AirlockError('ERR_UNAUTHENTICATED', 'device login aborted', {
      userMessage: 'the login was cancelled',
      cause,
    });
  }
  return idpError(issuer, 'did not complete the login', cause);
}

async function call(server: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (cause) {
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot reach ${server}`, {
      userMessage: `cannot reach the Airlock server at ${server}`,
      cause,
    });
  }
}

/** The server URL without trailing slashes. */
function base(server: string): string {
  return server.replace(/\/+$/, '');
}
