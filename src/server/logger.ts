/**
 * @module Structured logs (pino). Redaction is a second line of defence: nothing should log a
 * secret in the first place.
 */
import { type Logger, pino } from 'pino';
import type { AirlockConfig } from '../core/config.js';

/** The process logger: JSON lines on stdout. */
export function createLogger(level: AirlockConfig['logging']['level']): Logger {
  return pino({
    level,
    base: { service: 'airlock' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'secret',
        '*.secret',
        'authorization',
        '*.authorization',
      ],
      censor: '***',
    },
  });
}
