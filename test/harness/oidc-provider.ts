/**
 * @module A real OpenID Provider for tests: the `oidc-provider` package on 127.0.0.1 (random port,
 * plain http), issuing JWT access tokens by the client_credentials grant. Tests get tokens with a
 * real HTTP token request, so discovery, JWKS, signatures and audiences are all the real thing.
 *
 * Per-token test claims and lifetimes travel as extra form fields of the token request
 * (`airlock_test_claims`, `airlock_test_ttl`); the provider reads them from the parsed request body.
 * That keeps concurrent `token()` calls independent without any shared mutable state.
 *
 * `publicClients` (no secret, as `airlock login` is) may use the device flow (RFC 8628) and the
 * code flow with PKCE and a loopback redirect (RFC 8252). `approveDevice(userCode, account)` and
 * `approveAuthorization(url, account)` play the person at the browser with plain HTTP requests
 * (enter the code, log in as `account`, consent), so no browser is needed.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { ProviderContext } from 'oidc-provider';

/** One registered client. */
export interface TestClient {
  readonly clientId: string;
  readonly secret: string;
  /** Claims added to every access token of this client (e.g. `{ groups: ['agents'] }`). */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
}

/** Options for `startOidcProvider`. */
export interface OidcProviderOptions {
  readonly clients: readonly TestClient[];
  /** The `aud` of every access token. */
  readonly audience: string;
  /**
   * Claim name under which a client's `extraClaims.groups` is placed, when the test configures the
   * verifier with a non-default `groupsClaim`.
   */
  readonly groupsClaim?: string;
  /** Public client ids (token endpoint auth `none`): device flow, code + PKCE to 127.0.0.1. */
  readonly publicClients?: readonly string[];
  /** Claims added to access tokens issued for an account (device flow), e.g. `{ groups: [...] }`. */
  readonly accounts?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Options for one token. */
export interface TokenOptions {
  /** Claims set on this token, overriding standard ones too (`sub`, `aud`, `iss`...). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Lifetime in seconds (default 600). */
  readonly ttlSeconds?: number;
}

/** A running provider. */
export interface TestOidcProvider {
  /** The issuer URL, exactly as it appears in `iss`. */
  readonly issuer: string;
  /** Performs a client_credentials token request and returns the access token. */
  token(clientId: string, options?: TokenOptions): Promise<string>;
  /** Approves a pending device login for `userCode` as `accountId`, the way a browser would. */
  approveDevice(userCode: string, accountId: string): Promise<void>;
  /**
   * Opens an authorization URL as `accountId`'s browser would, logs in, consents, and follows the
   * redirect back to the client's loopback listener; returns what that listener answered.
   */
  approveAuthorization(url: string, accountId: string): Promise<string>;
  stop(): Promise<void>;
}

/** The resource indicator every token is requested for; its audience is `options.audience`. */
const RESOURCE = 'urn:airlock:test';
const CLAIMS_FIELD = 'airlock_test_claims';
const TTL_FIELD = 'airlock_test_ttl';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Query parameter the test's "browser" adds to the interaction URL: the account to log in as. */
const LOGIN_PARAM = 'airlock_test_login';

/** Starts a provider; call `stop()` when done. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const Provider = await quietly(async () => (await import('oidc-provider')).default);
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: `test-${port}`, alg: 'RS256', use: 'sig' };
  const clients = new Map(options.clients.map((client) => [client.clientId, client]));

  const provider = quietly(
    () =>
      new Provider(issuer, {
        clients: [
          ...options.clients.map((client) => ({
            client_id: client.clientId,
            client_secret: client.secret,
            grant_types: ['client_credentials'],
            redirect_uris: [],
            response_types: [],
            token_endpoint_auth_method: 'client_secret_basic',
          })),
          ...(options.publicClients ?? []).map((clientId) => ({
            client_id: clientId,
            application_type: 'native',
            grant_types: [DEVICE_CODE_GRANT, 'authorization_code'],
            // Native clients' loopback redirects match on any port (RFC 8252 7.3).
            redirect_uris: ['http://127.0.0.1/callback'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
          })),
        ],
        findAccount: (_ctx: unknown, accountId: string) => ({
          accountId,
          claims: () => ({ sub: accountId }),
        }),
        jwks: { keys: [signingKey] },
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          deviceFlow: {
            enabled: true,
            // Bare forms: the test reads the xsrf field, no person reads these pages.
            userCodeInputSource: (ctx: { body: string }, form: string) => {
              ctx.body = form;
            },
            userCodeConfirmSource: (ctx: { body: string }, form: string) => {
              ctx.body = form;
            },
            successSource: (ctx: { body: string }) => {
              ctx.body = 'signed in';
            },
          },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => RESOURCE,
            useGrantedResource: () => true,
            getResourceServerInfo: (ctx: ProviderContext) => ({
              scope: 'airlock',
              audience: options.audience,
              accessTokenFormat: 'jwt',
              accessTokenTTL: Number(ctx.oidc.body?.[TTL_FIELD] ?? 600),
              jwt: { sign: { alg: 'RS256' } },
            }),
          },
        },
        ttl: {
          DeviceCode: 600,
          Session: 3600,
          Interaction: 600,
          Grant: 3600,
          IdToken: 600,
          AccessToken: (_ctx: ProviderContext, token: { resourceServer?: { accessTokenTTL?: number } }) =>
            token.resourceServer?.accessTokenTTL ?? 600,
          ClientCredentials: (
            _ctx: ProviderContext,
            token: { resourceServer?: { accessTokenTTL?: number } },
          ) => token.resourceServer?.accessTokenTTL ?? 600,
        },
        extraTokenClaims: (_ctx: ProviderContext, token: { clientId?: string; accountId?: string }) => ({
          ...clientClaims(clients.get(token.clientId ?? ''), options.groupsClaim),
          ...(token.accountId !== undefined ? options.accounts?.[token.accountId] : undefined),
        }),
        formats: {
          customizers: {
            // Runs last, so a test can override any claim, standard ones included.
            jwt: (ctx: ProviderContext, _token: unknown, jwt: { payload: Record<string, unknown> }) => {
              const raw = ctx.oidc.body?.[CLAIMS_FIELD];
              if (typeof raw === 'string') Object.assign(jwt.payload, JSON.parse(raw));
            },
          },
        },
      }),
  );
  // RFC 8628 lets the server set the poll interval (5 s when absent): 1 s keeps login tests short.
  provider.on('device_authorization.success', (_ctx: unknown, body: Record<string, unknown>) => {
    body.interval = 1;
  });
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname.startsWith('/interaction/')) {
      finishInteraction(provider, req, res, url.searchParams.get(LOGIN_PARAM)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    handle(req, res);
  });

  return {
    issuer,
    async token(clientId, tokenOptions = {}) {
      const client = clients.get(clientId);
      if (client === undefined) throw new Error(`test OIDC provider has no client ${clientId}`);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        resource: RESOURCE,
        scope: 'airlock',
      });
      if (tokenOptions.claims) form.set(CLAIMS_FIELD, JSON.stringify(tokenOptions.claims));
      if (tokenOptions.ttlSeconds !== undefined) form.set(TTL_FIELD, String(tokenOptions.ttlSeconds));
      const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(client.secret)}`);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic.toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form,
      });
      const body = (await response.json()) as {
        access_token?: string;
        error?: string;
        error_description?: string;
      };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new Error(
          `token request failed (${response.status}): ${body.error} ${body.error_description ?? ''}`,
        );
      }
      return body.access_token;
    },
    async approveDevice(userCode, accountId) {
      const browser = new CookieBrowser(issuer);
      const page = await browser.request('GET', '/device');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
      if (xsrf === undefined) throw new Error('device page has no xsrf field');
      const response = await browser.follow(
        await browser.request('POST', '/device', { xsrf, user_code: userCode, confirm: 'yes' }),
        accountId,
      );
      const text = await response.text();
      if (response.status !== 200 || text !== 'signed in') {
        throw new Error(`device approval failed (${response.status}): ${text.slice(0, 300)}`);
      }
    },
    async approveAuthorization(url, accountId) {
      const browser = new CookieBrowser(issuer);
      const start = new URL(url);
      if (start.origin !== issuer) throw new Error(`${url} is not at ${issuer}`);
      const atProvider = await browser.follow(
        await browser.request('GET', `${start.pathname}${start.search}`),
        accountId,
      );
      const back = atProvider.headers.get('location');
      if (atProvider.status < 300 || atProvider.status >= 400 || back === null) {
        throw new Error(
          `authorization did not redirect back (${atProvider.status}): ${await atProvider.text()}`,
        );
      }
      // The redirect leaves the provider: the client's loopback listener, no cookies of ours.
      return (await fetch(back)).text();
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * The test-only login and consent page: logs the person in as `accountId` and grants what the
 * device asked for (its OIDC scopes and the Airlock resource's scope).
 */
async function finishInteraction(
  provider: import('oidc-provider').Provider,
  req: IncomingMessage,
  res: ServerResponse,
  accountId: string | null,
): Promise<void> {
  if (!accountId) throw new Error(`the interaction URL needs ?${LOGIN_PARAM}=ACCOUNT`);
  const details = await provider.interactionDetails(req, res);
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  grant.addResourceScope(RESOURCE, 'airlock');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

/** Plain HTTP with a cookie jar and manual redirects: enough "browser" for the device pages. */
class CookieBrowser {
  readonly #origin: string;
  readonly #cookies = new Map<string, string>();

  constructor(origin: string) {
    this.#origin = origin;
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Response> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.#origin}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    this.#remember(response);
    return response;
  }

  /**
   * Follows redirects within the provider, logging in as `accountId` at the interaction page.
   * Stops at the first answer that is no redirect or that leaves the provider.
   */
  async follow(first: Response, accountId: string): Promise<Response> {
    let response = first;
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects at the test OIDC provider');
      const next = new URL(response.headers.get('location') ?? '/', this.#origin);
      if (next.origin !== this.#origin) return response;
      if (next.pathname.startsWith('/interaction/')) next.searchParams.set(LOGIN_PARAM, accountId);
      response = await this.request('GET', `${next.pathname}${next.search}`);
    }
    return response;
  }

  #remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** The client's extra claims, with `groups` moved to the configured groups claim. */
function clientClaims(
  client: TestClient | undefined,
  groupsClaim: string | undefined,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...client?.extraClaims };
  if (groupsClaim !== undefined && groupsClaim !== 'groups' && 'groups' in claims) {
    claims[groupsClaim] = claims.groups;
    delete claims.groups;
  }
  return claims;
}

/**
 * Runs `fn` with oidc-provider's start-up warnings silenced: "Unsupported runtime" (it wants Node
 * 22 but works on 20) and "in-memory adapter" (exactly what a throwaway test IdP wants).
 */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING')) return;
    warn(...args);
  };
  const restore = () => {
    console.warn = warn;
  };
  try {
    const result = fn();
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  } catch (err) {
    restore();
    throw err;
  }
}
