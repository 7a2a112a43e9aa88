/**
 * @module Session routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';
import { type ListQuery, listQueryProperties, timeBounds } from './query.js';

interface SessionsQuery extends ListQuery {
  identity?: string;
  connection?: string;
}

/** /api/v1/sessions */
export const sessionRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get<{ Querystring: SessionsQuery }>(
    '/sessions',
    {
      schema: documented({
        summary: 'Sessions, newest first (callers without a role see their own)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            identity: { type: 'string' },
            connection: { type: 'string' },
            ...listQueryProperties,
          },
        },
      }),
    },
    (request) => {
      const { identity, connection } = request.query;
      return adminFor(request, deps).listSessions({
        ...(identity ? { identity } : {}),
        ...(connection ? { connection } : {}),
        ...timeBounds(request.query, deps.clock),
      });
    },
  );
};
