/**
 * @module The OpenAPI 3.1 document, collected from the routes' own schemas as they register, so it
 * cannot drift from what the server validates.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';

/** A route schema with the documentation fields the OpenAPI document reads. */
export type DocumentedSchema = FastifySchema & { summary?: string; hide?: boolean };

/** Types a route's schema with its documentation fields (fastify ignores them when validating). */
export function documented(schema: DocumentedSchema): FastifySchema {
  return schema;
}

interface Operation {
  summary?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** Registers an onRoute hook and returns a function building the document. */
export function collectOpenApi(app: FastifyInstance): () => unknown {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ?? {}) as DocumentedSchema & {
      querystring?: { properties?: Record<string, unknown> };
      response?: Record<string, unknown>;
    };
    if (schema.hide) return;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const parameters: unknown[] = [];
      for (const match of path.matchAll(/\{(\w+)\}/g)) {
        parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
      }
      for (const [name, prop] of Object.entries(schema.querystring?.properties ?? {})) {
        parameters.push({ name, in: 'query', schema: prop });
      }
      const operation: Operation = {
        ...(schema.summary ? { summary: schema.summary } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(schema.body ? { requestBody: { content: { 'application/json': { schema: schema.body } } } } : {}),
        responses: {
          '200': {
            description: 'OK',
            ...(schema.response?.['200']
              ? { content: { 'application/json': { schema: schema.response['200'] } } }
              : {}),
          },
          default: { description: 'Error', content: { 'application/problem+json': {} } },
        },
        ...(path.startsWith('/api/v1/') ? { security: [{ bearer: [] }] } : {}),
      };
      paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
    }
  });
  return () => ({
    openapi: '3.1.0',
    info: { title: 'Airlock API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  });
}
