/**
 * @module Grant routes: create, list, revoke. Admins create and revoke; auditors may list.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type CreateGrantRequest, LocalReviewAdmin } from '../../admin/reviews.js';
import { AirlockError } from '../../core/errors.js';
import type { ReviewService } from '../../reviews/service.js';
import type { RouteDeps } from '../context.js';
import { documented } from '../openapi.js';
import { kIdentity } from '../symbols.js';

/** Route options: the usual deps plus the review service. */
export interface ReviewRouteDeps extends RouteDeps {
  readonly reviews: ReviewService;
}

/** The review admin surface acting as the request's caller. */
export function reviewAdminFor(request: FastifyRequest, deps: ReviewRouteDeps): LocalReviewAdmin {
  const identity = request[kIdentity];
  if (!identity) throw new AirlockError('ERR_UNAUTHENTICATED', 'route reached without identity');
  return new LocalReviewAdmin(deps.reviews, identity, deps.admin.roles);
}

/** /api/v1/grants */
export const grantRoutes: FastifyPluginAsync<ReviewRouteDeps> = async (app, deps) => {
  app.get<{ Querystring: { connection?: string; all?: string } }>(
    '/grants',
    { schema: documented({ summary: 'List grants (live ones unless all=true)' }) },
    (request) =>
      reviewAdminFor(request, deps).listGrants({
        ...(request.query.connection ? { connection: request.query.connection } : {}),
        all: request.query.all === 'true',
      }),
  );
  app.post<{ Body: CreateGrantRequest }>(
    '/grants',
    {
      schema: documented({
        summary: 'Grant a user or group a scope on a connection',
        body: {
          type: 'object',
          required: ['connection', 'principal', 'scope', 'reason'],
          additionalProperties: false,
          properties: {
            connection: { type: 'string' },
            principal: { type: 'string', description: 'user:SUBJECT or group:NAME' },
            scope: { type: 'string', description: 'read, write, admin or a comma list of actions' },
            reason: { type: 'string' },
            ttlMs: { type: 'integer', minimum: 1 },
          },
        },
      }),
    },
    async (request, reply) => {
      const grant = await reviewAdminFor(request, deps).createGrant(request.body);
      reply.code(201);
      return grant;
    },
  );
  app.post<{ Params: { id: string } }>(
    '/grants/:id/revoke',
    { schema: documented({ summary: 'Revoke a grant' }) },
    (request) => reviewAdminFor(request, deps).revokeGrant(request.params.id),
  );
};
