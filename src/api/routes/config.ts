/**
 * @module Config routes: reload the running server's config file (admins only). An invalid file is
 * answered with problem+json (ERR_CONFIG_INVALID) whose `detail` lists every problem, one a line.
 */
import type { FastifyPluginAsync } from 'fastify';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';

const names = { type: 'array', items: { type: 'string' } } as const;

/** /api/v1/config */
export const configRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.post(
    '/config/reload',
    {
      schema: documented({
        summary: 'Re-read the config file; new statements use it, live sessions stay (admins)',
        response: {
          200: {
            type: 'object',
            properties: {
              outcome: { type: 'string', enum: ['success', 'failure'] },
              file: { type: 'string' },
              added: names,
              changed: names,
              removed: names,
              problems: names,
              warnings: names,
              restartRequired: { ...names, description: 'changed keys that wait for a restart' },
              sessionsEnded: { type: 'integer' },
            },
          },
        },
      }),
    },
    (request) => adminFor(request, deps).reloadConfig(),
  );
};
