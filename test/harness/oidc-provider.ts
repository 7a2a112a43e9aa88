/**
 * @module A real OpenID Provider for tests: the `oidc-provider` package on 127.0.0.1 (random port,
 * plain http), issuing JWT access tokens by the client_credentials grant. Tests get tokens with a
 * real HTTP token request, so discovery, JWKS, signatures and audiences are all the real thing.
 *
 * Per-token test claims and lifetimes travel as extra form fields of the token request
 * (`airlock_test_claims`, `airlock_test_ttl`); the provider reads them from the parsed request body.
 * That keeps concurrent `token()` calls independent without any shared mutable state.
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
  stop(): Promise<void>;
}

/** The resource indicator every token is requested for; its audience is `options.audience`. */
const RESOURCE = 'urn:airlock:test';
const CLAIMS_FIELD = 'airlock_test_claims';
const TTL_FIELD = 'airlock_test_ttl';

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
        clients: options.clients.map((client) => ({
          client_id: client.clientId,
          client_secret: client.secret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        })),
        jwks: { keys: [signingKey] },
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
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
          ClientCredentials: (
            _ctx: ProviderContext,
            token: { resourceServer?: { accessTokenTTL?: number } },
          ) => token.resourceServer?.accessTokenTTL ?? 600,
        },
        extraTokenClaims: (_ctx: ProviderContext, token: { clientId?: string }) =>
          clientClaims(clients.get(token.clientId ?? ''), options.groupsClaim),
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
  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handle(req, res));

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
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
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
