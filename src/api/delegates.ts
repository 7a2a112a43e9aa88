/**
 * @module Which API routes delegated tokens may call (src/admin/delegated.ts says why). One table
 * for every route, checked once per request right after authentication: a route is open to
 * delegates only when listed in `DELEGATE_ROUTES`, so a route added later is refused until someone
 * decides otherwise (fail closed). Refused routes are classed so the answer says what to do.
 */
import { type DelegateRefusal, refuseDelegated } from '../admin/delegated.js';
import type { Identity } from '../core/identity.js';

/**
 * `METHOD route` open to delegated tokens: what they need to do their job and to follow their own
 * requests. Visibility inside these routes is narrowed further (own sessions and requests only).
 */
export const DELEGATE_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/whoami',
  'GET /api/v1/connections',
  'GET /api/v1/sessions',
  'GET /api/v1/sessions/:id',
  'GET /api/v1/approvals',
  'POST /api/v1/approvals',
  'GET /api/v1/approvals/:id',
  'GET /api/v1/approvals/:id/wait',
]);

/** Refused routes by class, first match wins; anything else is `other`. */
const CLASSES: readonly (readonly [RegExp, DelegateRefusal])[] = [
  [/^\/api\/v1\/approvals\/:id\/(approve|deny)$/, 'approve'],
  [/^\/api\/v1\/approvals\/break-glass$/, 'break-glass'],
  [/^\/api\/v1\/grants(\/|$)/, 'grants'],
  [/^\/api\/v1\/reviews(\/|$)/, 'reviews'],
  [/^\/api\/v1\/tokens(\/|$)/, 'tokens'],
  [/^\/api\/v1\/config(\/|$)/, 'config'],
  [/^\/api\/v1\/(locks(\/|$)|sessions\/:id\/terminate$)/, 'locks'],
  [/^\/api\/v1\/audit(\/|$)/, 'audit'],
];

/** The refusal class of a route (`route` as registered, e.g. `/api/v1/grants/:id/revoke`). */
export function refusalOf(method: string, route: string): DelegateRefusal | undefined {
  if (DELEGATE_ROUTES.has(`${method} ${route}`)) return undefined;
  return CLASSES.find(([pattern]) => pattern.test(route))?.[1] ?? 'other';
}

/**
 * Throws ERR_DELEGATE_FORBIDDEN when a delegated `identity` calls a route not open to it. `route`
 * undefined (no such route) passes, so the caller gets the 404 everyone gets.
 */
export function checkDelegateRoute(identity: Identity, method: string, route: string | undefined): void {
  if (route === undefined) return;
  const refusal = refusalOf(method === 'HEAD' ? 'GET' : method, route);
  if (refusal !== undefined) refuseDelegated(identity, refusal);
}
