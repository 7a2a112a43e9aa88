/**
 * @module Internal request state lives under symbols, so plugins cannot clash on names.
 */
import type { Identity } from '../core/identity.js';

/** The authenticated caller, set by the API's onRequest hook. */
export const kIdentity = Symbol('airlock.identity');

declare module 'fastify' {
  interface FastifyRequest {
    [kIdentity]: Identity | null;
  }
}
