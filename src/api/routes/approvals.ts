/**
 * @module Approval routes: JIT access requests, listing, showing, approving, denying and waiting.
 * A decision here wakes clients held in this process at once (others through the change feed).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AccessRequest, BreakGlassRequest } from '../../admin/reviews.js';
import type { RequestStatus } from '../../reviews/types.js';
import { documented } from '../openapi.js';
import { type ReviewRouteDeps, reviewAdminFor } from './grants.js';

const ID = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const DECISION = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string' }, windowMs: { type: 'integer', minimum: 1 } },
} as const;

/** /api/v1/approvals */
export const approvalRoutes: FastifyPluginAsync<ReviewRouteDeps> = async (app, deps) => {
  app.get<{ Querystring: { status?: RequestStatus } }>(
    '/approvals',
    {
      schema: documented({
        summary: 'List approval requests (those you made or may decide; all for admins and auditors)',
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired'] } },
        },
      }),
    },
    (request) => reviewAdminFor(request, deps).listApprovals(request.query.status),
  );
  app.post<{ Body: AccessRequest }>(
    '/approvals',
    {
      schema: documented({
        summary: 'Request just-in-time access to a connection',
        body: {
          type: 'object',
          required: ['connection', 'scope', 'reason', 'ttlMs'],
          additionalProperties: false,
          properties: {
            connection: { type: 'string' },
            scope: { type: 'string' },
            reason: { type: 'string' },
            ttlMs: { type: 'integer', minimum: 1 },
          },
        },
      }),
    },
    async (request, reply) => {
      const created = await reviewAdminFor(request, deps).requestAccess(request.body);
      reply.code(201);
      return created;
    },
  );
  app.post<{ Body: BreakGlassRequest }>(
    '/approvals/break-glass',
    {
      schema: documented({
        summary:
          'Break-glass: open emergency access for yourself (connection breakGlass list), audited, with a follow-up review',
        body: {
          type: 'object',
          required: ['connection', 'reason'],
          additionalProperties: false,
          properties: {
            connection: { type: 'string' },
            reason: { type: 'string' },
            ttlMs: { type: 'integer', minimum: 60_000, maximum: 86_400_000 },
          },
        },
      }),
    },
    async (request, reply) => {
      const opened = await reviewAdminFor(request, deps).breakGlass(request.body);
      reply.code(201);
      return opened;
    },
  );
  app.get<{ Params: { id: number } }>(
    '/approvals/:id',
    { schema: documented({ summary: 'Show an approval request', params: ID }) },
    (request) => reviewAdminFor(request, deps).showApproval(request.params.id),
  );
  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: number }; Body: { reason?: string; windowMs?: number } | undefined }>(
      `/approvals/:id/${decision}`,
      {
        schema: documented({
          summary: `${decision === 'approve' ? 'Approve' : 'Deny'} a request`,
          params: ID,
          body: DECISION,
        }),
      },
      (request) =>
        reviewAdminFor(request, deps).decide(
          request.params.id,
          decision,
          request.body?.reason,
          request.body?.windowMs,
        ),
    );
  }
  app.get<{ Params: { id: number }; Querystring: { timeoutMs?: number } }>(
    '/approvals/:id/wait',
    {
      schema: documented({
        summary: 'Wait (long poll, at most 60 s) for a decision',
        params: ID,
        querystring: { type: 'object', properties: { timeoutMs: { type: 'integer', minimum: 0 } } },
      }),
    },
    (request) =>
      reviewAdminFor(request, deps).waitApproval(
        request.params.id,
        Math.min(request.query.timeoutMs ?? 30_000, 60_000),
      ),
  );
};
