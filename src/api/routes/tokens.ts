/**
 * @module Token routes: create, list, revoke. Admins create and revoke; auditors may list.
 */
import type { FastifyPluginAsync } from 'fastify';
import { AirlockError } from '../../core/errors.js';
import { parseDuration } from '../../identity/duration.js';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';

interface CreateBody {
  name: string;
  groups?: string[];
  kind?: 'agent' | 'human' | 'service';
  ttl?: string;
}

/** /api/v1/tokens */
export const tokenRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get(
    '/tokens',
    { schema: documented({ summary: 'List Airlock tokens (never their secrets)' }) },
    (request) => adminFor(request, deps).listTokens(),
  );

  app.post<{ Body: CreateBody }>(
    '/tokens',
    {
      schema: documented({
        summary: 'Create an Airlock token; the answer carries the token once',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            groups: { type: 'array', items: { type: 'string' } },
            kind: { type: 'string', enum: ['agent', 'human', 'service'] },
            ttl: { type: 'string', description: 'duration such as 8h, 30m, 7d' },
          },
        },
      }),
    },
    async (request, reply) => {
      const { name, groups, kind, ttl } = request.body;
      let ttlMs: number | undefined;
      if (ttl !== undefined) {
        try {
          ttlMs = parseDuration(ttl);
        } catch (cause) {
          throw new AirlockError('ERR_BAD_REQUEST', `ttl: ${String(cause)}`, {
            userMessage: `ttl: expected a duration like 8h, 30m or 7d, received "${ttl}"`,
          });
        }
      }
      const created = await adminFor(request, deps).createToken({
        name,
        ...(groups ? { groups } : {}),
        ...(kind ? { kind } : {}),
        ...(ttlMs !== undefined ? { ttlMs } : {}),
      });
      reply.code(201);
      return created;
    },
  );

  app.post<{ Params: { name: string } }>(
    '/tokens/:name/revoke',
    { schema: documented({ summary: 'Revoke a token; its live sessions end within a second' }) },
    (request) => adminFor(request, deps).revokeToken(request.params.name),
  );
};
