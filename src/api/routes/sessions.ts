/**
 * @module Session routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';
import { type ListQuery, listQueryProperties, timeBounds } from './query.js';

const auditErrorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

/** `SessionDetail` (src/audit/session-detail.ts): also what the answer is serialised with. */
const sessionDetailSchema = {
  type: 'object',
  required: ['session', 'statements', 'truncated'],
  properties: {
    session: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        node: { type: 'string' },
        protocol: { type: 'string' },
        identity: {
          type: ['object', 'null'],
          description: 'IdentityRef: subject, kind, groups, issuer, chain (delegation, root first)',
          additionalProperties: true,
        },
        connection: { type: 'string' },
        client: {
          type: ['object', 'null'],
          properties: {
            address: { type: 'string' },
            port: { type: 'integer' },
            tls: { type: 'boolean' },
            application: { type: 'string' },
          },
        },
        reason: { type: 'string' },
        startedAt: { type: 'string', format: 'date-time' },
        endedAt: { type: ['string', 'null'], description: 'null while the session is open' },
        durationMs: { type: ['number', 'null'] },
        outcome: { type: ['string', 'null'], enum: ['success', 'failure', null] },
        error: auditErrorSchema,
        bytesFromClient: { type: 'integer' },
        bytesToClient: { type: 'integer' },
        statements: { type: 'integer' },
        reviewers: {
          type: 'array',
          items: { type: 'string' },
          description: 'who certified the review the session was held for; absent when it was not held',
        },
      },
    },
    statements: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          commandId: { type: 'integer' },
          time: { type: 'string', format: 'date-time' },
          channel: { type: 'string' },
          text: { type: 'string', description: 'as journaled, password literals redacted' },
          parameters: { type: 'array', items: { type: ['string', 'null'] } },
          action: { type: 'string' },
          objects: { type: 'array', items: { type: 'string' } },
          decision: { type: 'string', enum: ['allow', 'deny'] },
          rule: { type: 'string' },
          refusal: auditErrorSchema,
          result: {
            type: 'object',
            description: 'absent until the target answered',
            properties: {
              outcome: { type: 'string', enum: ['success', 'error'] },
              rows: { type: 'integer' },
              durationMs: { type: 'number' },
              error: auditErrorSchema,
              time: { type: 'string', format: 'date-time' },
            },
          },
          approval: {
            type: 'object',
            description: 'present for statements held for review',
            properties: {
              request: { type: 'integer', description: 'the approval request' },
              approvedBy: { type: 'array', items: { type: 'string' } },
            },
          },
          masked: {
            type: 'array',
            description: 'present once masking records what it masked',
            items: {
              type: 'object',
              properties: { entity: { type: 'string' }, values: { type: 'integer' } },
            },
          },
        },
      },
    },
    truncated: { type: 'boolean', description: 'more statements exist than the limit' },
  },
} as const;

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

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/sessions/:id',
    {
      schema: documented({
        summary: 'One session with its statements in order (callers without a role: their own only)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100000 } },
        },
        response: { 200: sessionDetailSchema },
      }),
    },
    (request) => {
      const { limit } = request.query;
      return adminFor(request, deps).showSession(request.params.id, limit ? { limit } : {});
    },
  );
};
