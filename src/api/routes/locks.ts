/**
 * @module Cutting access off now: `/api/v1/locks` (create, list, remove) and
 * `POST /api/v1/sessions/{id}/terminate`. Admins lock, unlock and terminate; auditors may list.
 */
import type { FastifyPluginAsync } from 'fastify';
import { AirlockError } from '../../core/errors.js';
import { parseDuration } from '../../identity/duration.js';
import type { LockTargetKind } from '../../identity/locks.js';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';

interface LockBody {
  targetKind: LockTargetKind;
  target: string;
  reason: string;
  ttl?: string;
}

/** /api/v1/locks, /api/v1/sessions/{id}/terminate */
export const lockRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get<{ Querystring: { all?: string } }>(
    '/locks',
    { schema: documented({ summary: 'List locks (those in force unless all=true)' }) },
    (request) => adminFor(request, deps).listLocks(request.query.all === 'true'),
  );

  app.post<{ Body: LockBody }>(
    '/locks',
    {
      schema: documented({
        summary: 'Lock an identity or a connection: new sessions are refused, live ones end',
        body: {
          type: 'object',
          required: ['targetKind', 'target', 'reason'],
          additionalProperties: false,
          properties: {
            targetKind: { type: 'string', enum: ['identity', 'connection'] },
            target: {
              type: 'string',
              description:
                'identity: SUBJECT or user:SUBJECT (its delegates too), or group:NAME (members and their delegates); connection: its name',
            },
            reason: { type: 'string' },
            ttl: { type: 'string', description: 'duration such as 1h; absent: until unlocked' },
          },
        },
      }),
    },
    async (request, reply) => {
      const { targetKind, target, reason, ttl } = request.body;
      let ttlMs: number | undefined;
      if (ttl !== undefined) {
        try {
          ttlMs = parseDuration(ttl);
        } catch {
          throw new AirlockError('ERR_BAD_REQUEST', `ttl ${ttl}`, {
            userMessage: `ttl: expected a duration like 1h or 30m, received "${ttl}"`,
          });
        }
      }
      const lock = await adminFor(request, deps).createLock({
        targetKind,
        target,
        reason,
        ...(ttlMs !== undefined ? { ttlMs } : {}),
      });
      return reply.code(201).send(lock);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/locks/:id',
    { schema: documented({ summary: 'Remove a lock' }) },
    (request) => adminFor(request, deps).removeLock(request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
    '/sessions/:id/terminate',
    { schema: documented({ summary: 'End a live session now, on whichever server holds it' }) },
    async (request, reply) => {
      await adminFor(request, deps).terminateSession(request.params.id, request.body?.reason);
      return reply.code(202).send({ session: request.params.id, terminating: true });
    },
  );
};
