/**
 * @module The REST API under /api/v1: bearer authentication (Airlock token or OIDC JWT), roles from
 * `admins`/`auditors`, problem+json errors, an OpenAPI document, /healthz and /metrics.
 * Each capability is its own encapsulated plugin under `routes/`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { LocalAdminDeps } from '../admin/local.js';
import type { Clock } from '../core/clock.js';
import type { IdentityLogin } from '../core/config.js';
import { AirlockError, toAirlockError } from '../core/errors.js';
import type { Authenticator } from '../core/gate.js';
import type { TokenExchange } from '../identity/exchange.js';
import type { ReviewService } from '../reviews/service.js';
import { checkDelegateRoute } from './delegates.js';
import { collectOpenApi, documented } from './openapi.js';
import { toProblem } from './problem.js';
import { BODY_LIMIT, fromBodyError } from './request-errors.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { configRoutes } from './routes/config.js';
import { connectionRoutes } from './routes/connections.js';
import { exchangeRoutes } from './routes/exchange.js';
import { grantRoutes } from './routes/grants.js';
import { healthRoutes } from './routes/health.js';
import { lockRoutes } from './routes/locks.js';
import { reviewRoutes } from './routes/reviews.js';
import { sessionRoutes } from './routes/sessions.js';
import { tokenRoutes } from './routes/tokens.js';
import { kIdentity } from './symbols.js';

/** What the API needs. */
export interface ApiDeps {
  readonly admin: LocalAdminDeps;
  readonly authenticator: Authenticator;
  readonly clock: Clock;
  readonly log: Logger;
  /** Prometheus text exposition. */
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  /** True while the server accepts sessions; /healthz answers 503 otherwise. */
  readonly healthy: () => boolean;
  /** The review gate; grants and approvals routes exist only with it. */
  readonly reviews?: ReviewService;
  /** Token exchange and login settings; the exchange and auth routes exist only with it. */
  readonly identity?: { readonly exchange: TokenExchange; readonly login: () => IdentityLogin | undefined };
}

// The exchange authenticates by its subject_token; auth/config is what a client reads before login.
const PUBLIC_PATHS = new Set([
  '/healthz',
  '/metrics',
  '/api/v1/openapi.json',
  '/api/v1/token/exchange',
  '/api/v1/auth/config',
]);

/** Builds the fastify app (not listening yet). */
export async function createApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    // Sessions and decisions are logged by the gate; per-request lines would only add noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
  });
  // JSON only: a text body would reach the routes as a string and fail later and less clearly.
  app.removeContentTypeParser('text/plain');
  const openapi = collectOpenApi(app);

  app.decorateRequest(kIdentity, null);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new AirlockError('ERR_UNAUTHENTICATED', 'missing bearer token');
    const identity = await deps.authenticator.authenticate(match[1]);
    // Delegated tokens reach only the routes open to them (src/api/delegates.ts), checked here once
    // for every route so a new route is closed to them until it is listed.
    checkDelegateRoute(identity, request.method, request.routeOptions.url);
    request[kIdentity] = identity;
  });

  app.setErrorHandler((thrown, request, reply) => {
    const validation = (thrown as { validation?: unknown }).validation;
    const err = validation
      ? new AirlockError('ERR_BAD_REQUEST', (thrown as Error).message, {
          userMessage: (thrown as Error).message,
        })
      : (fromBodyError(thrown, request.headers['content-type']) ?? toAirlockError(thrown));
    if (err.code === 'ERR_INTERNAL') request.log.error({ err: thrown }, 'api request failed');
    reply.code(err.entry.http).type('application/problem+json').send(toProblem(err));
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new AirlockError('ERR_NOT_FOUND', `no route ${request.method} ${request.url}`, {
      userMessage: `no API route ${request.method} ${request.url.split('?')[0]}`,
    });
    reply.code(404).type('application/problem+json').send(toProblem(err));
  });

  await app.register(healthRoutes, { metrics: deps.metrics, healthy: deps.healthy });
  const routeDeps = { admin: deps.admin, clock: deps.clock };
  await app.register(tokenRoutes, { prefix: '/api/v1', ...routeDeps });
  await app.register(connectionRoutes, { prefix: '/api/v1', ...routeDeps });
  await app.register(sessionRoutes, { prefix: '/api/v1', ...routeDeps });
  await app.register(auditRoutes, { prefix: '/api/v1', ...routeDeps });
  if (deps.reviews) {
    await app.register(grantRoutes, { prefix: '/api/v1', ...routeDeps, reviews: deps.reviews });
    await app.register(approvalRoutes, { prefix: '/api/v1', ...routeDeps, reviews: deps.reviews });
    await app.register(reviewRoutes, { prefix: '/api/v1', ...routeDeps, reviews: deps.reviews });
  }
  await app.register(configRoutes, { prefix: '/api/v1', ...routeDeps });
  await app.register(lockRoutes, { prefix: '/api/v1', ...routeDeps });
  if (deps.identity) {
    await app.register(exchangeRoutes, { prefix: '/api/v1', exchange: deps.identity.exchange });
    await app.register(authRoutes, { prefix: '/api/v1', login: deps.identity.login });
  }
  app.get('/api/v1/openapi.json', { schema: documented({ hide: true }) }, async () => openapi());
  return app;
}
