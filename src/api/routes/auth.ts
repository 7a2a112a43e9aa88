/**
 * @module `GET /api/v1/auth/config` (public): how to log in to this Airlock. `airlock login` reads
 * it to find the OIDC issuer and public client to run the device flow with, then exchanges the
 * access token at `tokenExchange` for a short Airlock token.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { IdentityLogin } from '../../core/config.js';
import { documented } from '../openapi.js';

/** Route options. */
export interface AuthRouteDeps {
  readonly login: () => IdentityLogin | undefined;
}

/** What the endpoint answers. */
export interface AuthConfigView {
  /** Absent when the config has no `identity.login`: log in by other means. */
  readonly oidc?: {
    readonly name: string;
    readonly issuer: string;
    readonly clientId: string;
    readonly scope: string;
  };
  /** Path of the token exchange endpoint, relative to the server URL. */
  readonly tokenExchange: string;
}

/** /api/v1/auth */
export const authRoutes: FastifyPluginAsync<AuthRouteDeps> = async (app, deps) => {
  app.get(
    '/auth/config',
    { schema: documented({ summary: 'How to log in: the OIDC issuer and client for airlock login' }) },
    async (): Promise<AuthConfigView> => {
      const login = deps.login();
      return {
        ...(login
          ? {
              oidc: {
                name: login.issuer,
                issuer: login.issuerUrl,
                clientId: login.clientId,
                scope: login.scope,
              },
            }
          : {}),
        tokenExchange: '/api/v1/token/exchange',
      };
    },
  );
};
