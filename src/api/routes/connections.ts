/**
 * @module Connection routes: the connections the caller may use, with the command to connect.
 */
import type { FastifyPluginAsync } from 'fastify';
import { adminFor, type RouteDeps } from '../context.js';
import { documented } from '../openapi.js';

/** /api/v1/connections and /api/v1/whoami */
export const connectionRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get('/connections', { schema: documented({ summary: 'Connections the caller may use' }) }, (request) =>
    adminFor(request, deps).listConnections(),
  );
  app.get('/whoami', { schema: documented({ summary: 'The calling identity and its roles' }) }, (request) =>
    adminFor(request, deps).whoami(),
  );
};
