/**
 * @module Request bodies the API cannot take, as catalog errors: fastify rejects them before any
 * route runs (too large, not JSON, an unsupported content type) with its own error objects, which
 * would otherwise reach the error handler as internal errors (500). Both the problem+json handler
 * and the token exchange's OAuth handler map them here.
 */
import { AirlockError } from '../core/errors.js';

/** The largest request body the API reads: 1 MB. */
export const BODY_LIMIT = 1 << 20;

/** Fastify's content-type parser errors carry one of these codes. */
const PAYLOAD_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE';

function fastifyCode(thrown: unknown): { code: string; statusCode: number } | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const { code, statusCode } = thrown as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  return { code, statusCode: typeof statusCode === 'number' ? statusCode : 500 };
}

/**
 * The catalog error for a body fastify refused (`contentType` as the client sent it), or
 * undefined when `thrown` is something else. Only client errors (4xx) map; anything fastify
 * reports as its own fault stays internal.
 */
export function fromBodyError(thrown: unknown, contentType: string | undefined): AirlockError | undefined {
  const fastify = fastifyCode(thrown);
  if (!fastify || fastify.statusCode < 400 || fastify.statusCode >= 500) return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim() || 'none';
  let userMessage: string;
  switch (fastify.code) {
    case PAYLOAD_TOO_LARGE:
      userMessage = `the request body is larger than ${BODY_LIMIT >> 20} MB`;
      return new AirlockError('ERR_PAYLOAD_TOO_LARGE', userMessage, { userMessage, cause: thrown });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      userMessage = 'the request body is not valid JSON';
      break;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      userMessage = 'the request body is empty but its content type is application/json; send a JSON object';
      break;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      userMessage = `content type "${type}" is not accepted; send application/json`;
      break;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      userMessage = 'the request body does not match its Content-Length';
      break;
    default:
      userMessage = `the request could not be read (${(thrown as Error).message})`;
  }
  return new AirlockError('ERR_BAD_REQUEST', userMessage, { userMessage, cause: thrown });
}
