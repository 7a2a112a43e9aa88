/**
 * @module Recertification routes (src/reviews/campaigns.ts): campaigns (admins create; admins,
 * auditors and the campaign's reviewers read), item decisions by reviewers, the auditor report,
 * and suspensions (admins lift them; `airlock reviews restore`).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CampaignRequest } from '../../admin/reviews.js';
import type { ItemDecision } from '../../reviews/campaigns.js';
import { documented } from '../openapi.js';
import { type ReviewRouteDeps, reviewAdminFor } from './grants.js';

const ID = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } };

/** /api/v1/reviews */
export const reviewRoutes: FastifyPluginAsync<ReviewRouteDeps> = async (app, deps) => {
  app.get(
    '/reviews/campaigns',
    { schema: documented({ summary: 'List recertification campaigns' }) },
    (request) => reviewAdminFor(request, deps).listCampaigns(),
  );
  app.post<{ Body: CampaignRequest }>(
    '/reviews/campaigns',
    {
      schema: documented({
        summary:
          'Create a recertification campaign: one item per grant or access entry per identity using it',
        body: {
          type: 'object',
          required: ['connections', 'reviewers', 'dueMs'],
          additionalProperties: false,
          properties: {
            connections: { type: 'array', minItems: 1, items: { type: 'string' } },
            reviewers: { type: 'array', minItems: 1, items: { type: 'string' } },
            dueMs: { type: 'integer', minimum: 1 },
          },
        },
      }),
    },
    async (request, reply) => {
      const campaign = await reviewAdminFor(request, deps).createCampaign(request.body);
      reply.code(201);
      return campaign;
    },
  );
  app.get<{ Params: { id: number } }>(
    '/reviews/campaigns/:id',
    { schema: documented({ summary: 'A campaign with its items and evidence', params: ID }) },
    (request) => reviewAdminFor(request, deps).showCampaign(request.params.id),
  );
  app.get<{ Params: { id: number } }>(
    '/reviews/campaigns/:id/report',
    {
      schema: documented({
        summary: 'Auditor evidence: who reviewed what, when, with what evidence',
        params: ID,
      }),
    },
    (request) => reviewAdminFor(request, deps).campaignReport(request.params.id),
  );
  app.post<{ Params: { id: number }; Body: ItemDecision }>(
    '/reviews/items/:id/decide',
    {
      schema: documented({
        summary: 'Certify, narrow or revoke a campaign item (reviewers only, never their own access)',
        params: ID,
        body: {
          type: 'object',
          required: ['decision', 'reason'],
          additionalProperties: false,
          properties: {
            decision: { type: 'string', enum: ['certify', 'narrow', 'revoke'] },
            scope: { type: 'string', description: 'narrow: read, write or a comma list of actions' },
            reason: { type: 'string' },
          },
        },
      }),
    },
    (request) => reviewAdminFor(request, deps).decideItem(request.params.id, request.body),
  );
  app.get<{ Querystring: { connection?: string } }>(
    '/reviews/suspensions',
    { schema: documented({ summary: 'Active suspensions (expiry, campaigns)' }) },
    (request) => reviewAdminFor(request, deps).listSuspensions(request.query.connection),
  );
  app.post<{ Body: { connection: string; subject: string; reason: string } }>(
    '/reviews/suspensions/restore',
    {
      schema: documented({
        summary: "Lift an identity's suspensions on a connection",
        body: {
          type: 'object',
          required: ['connection', 'subject', 'reason'],
          additionalProperties: false,
          properties: {
            connection: { type: 'string' },
            subject: { type: 'string' },
            reason: { type: 'string' },
          },
        },
      }),
    },
    (request) =>
      reviewAdminFor(request, deps).restoreAccess(
        request.body.connection,
        request.body.subject,
        request.body.reason,
      ),
  );
};
