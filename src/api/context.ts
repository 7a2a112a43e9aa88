/**
 * @module Route helpers: the acting admin surface for a request.
 */
import type { FastifyRequest } from 'fastify';
import { LocalAdmin, type LocalAdminDeps } from '../admin/local.js';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { kIdentity } from './symbols.js';

/** Options every capability plugin receives. */
export interface RouteDeps {
  readonly admin: LocalAdminDeps;
  readonly clock: Clock;
}

/** The admin surface acting as the request's caller. */
export function adminFor(request: FastifyRequest, deps: RouteDeps): LocalAdmin {
  const identity = request[kIdentity];
  if (!identity) throw new AirlockError('ERR_UNAUTHENTICATED', 'route reached without identity');
  return new LocalAdmin(deps.admin, identity);
}
