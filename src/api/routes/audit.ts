/**
 * @module Audit routes: search and chain verification (admins and auditors).
 */
import type { FastifyPluginAsync } from 'fastify';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';
import { type ListQuery, listQueryProperties, timeBounds } from './query.js';

interface AuditSearchQuery extends ListQuery {
  identity?: string;
  onBehalfOf?: string;
  group?: string;
  connection?: string;
  type?: string;
  session?: string;
}

/** /api/v1/audit */
export const auditRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get<{ Querystring: AuditSearchQuery }>(
    '/audit/events',
    {
      schema: documented({
        summary: 'Search audit events',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            identity: { type: 'string' },
            onBehalfOf: { type: 'string', description: 'the identity or any delegate acting for it' },
            group: { type: 'string' },
            connection: { type: 'string' },
            type: { type: 'string' },
            session: { type: 'string' },
            ...listQueryProperties,
          },
        },
      }),
    },
    (request) => {
      const { identity, onBehalfOf, group, connection, type, session } = request.query;
      return adminFor(request, deps).searchAudit({
        ...(identity ? { identity } : {}),
        ...(onBehalfOf ? { onBehalfOf } : {}),
        ...(group ? { group } : {}),
        ...(connection ? { connection } : {}),
        ...(type ? { type } : {}),
        ...(session ? { sessionId: session } : {}),
        ...timeBounds(request.query, deps.clock),
      });
    },
  );
  app.get(
    '/audit/verify',
    { schema: documented({ summary: 'Verify every node’s audit hash chain' }) },
    (request) => adminFor(request, deps).verifyAudit(),
  );
};
