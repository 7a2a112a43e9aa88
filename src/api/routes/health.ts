/**
 * @module /healthz and Prometheus /metrics (unauthenticated, as scrapers expect).
 */
import type { FastifyPluginAsync } from 'fastify';
import { documented } from '../openapi.js';

/** Options for the health plugin. */
export interface HealthOptions {
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  readonly healthy: () => boolean;
}

/** /healthz, /metrics */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  app.get(
    '/healthz',
    { schema: documented({ summary: 'Liveness: 200 while serving, 503 while draining' }) },
    async (_r, reply) => {
      const ok = options.healthy();
      reply.code(ok ? 200 : 503);
      return { status: ok ? 'ok' : 'draining' };
    },
  );
  app.get('/metrics', { schema: documented({ summary: 'Prometheus metrics' }) }, async (_r, reply) => {
    const { contentType, body } = await options.metrics();
    reply.type(contentType);
    return body;
  });
};
