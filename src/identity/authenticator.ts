/**
 * @module One authenticator for every entry point (protocol engines and the API): Airlock tokens
 * are checked against the store, anything shaped like a JWT against the configured OIDC issuers.
 */

import { AirlockError } from '../core/errors.js';
import type { Authenticator } from '../core/gate.js';
import type { Identity } from '../core/identity.js';
import type { OidcVerifier } from './oidc.js';
import type { TokenService } from './tokens.js';

/** Builds the authenticator from the two verifiers. */
export function createAuthenticator(tokens: TokenService, oidc: OidcVerifier): Authenticator {
  return {
    async authenticate(secret: string): Promise<Identity> {
      if (tokens.isAirlockToken(secret)) return tokens.authenticate(secret);
      if (oidc.looksLikeJwt(secret)) return oidc.verify(secret);
      throw new AirlockError('ERR_TOKEN_INVALID', 'presented secret is neither an Airlock token nor a JWT');
    },
  };
}
