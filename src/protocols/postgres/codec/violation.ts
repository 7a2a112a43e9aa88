/**
 * @module Typed failures shared by both decoders: every malformed message becomes one
 * ERR_PROTOCOL_VIOLATION saying what was expected and what arrived.
 */
import { AirlockError } from '../../../core/errors.js';
import type { BufferReader } from '../../../wire/buffer-reader.js';

/** The error for bytes that break the protocol. */
export function violation(expected: string, received: string): AirlockError {
  return new AirlockError('ERR_PROTOCOL_VIOLATION', `expected ${expected}, received ${received}`);
}

/** Reads an int16 count that must not be negative. */
export function readCount(reader: BufferReader, what: string): number {
  const n = reader.int16();
  if (n < 0) throw violation(`a non-negative ${what} count`, String(n));
  return n;
}
