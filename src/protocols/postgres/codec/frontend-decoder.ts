/**
 * @module Decodes frames a client sends (startup packets and tagged messages) into message objects,
 * on demand. One module-level reader, bounded to the frame, so a lying count or length throws a
 * protocol violation instead of reading the next message's bytes.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BufferReader } from '../../../wire/buffer-reader.js';
import { FrontendCode, RequestCode } from './codes.js';
import type { Frame, FrontendMessage, StartupPacket } from './messages.js';
import { readCount, violation } from './violation.js';

const reader = new BufferReader();

function formatCodes(): number[] {
  const n = readCount(reader, 'format code');
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push(reader.int16());
  return codes;
}

/** int32 length then bytes; -1 is NULL. */
function values(what: string): (Buffer | null)[] {
  const n = readCount(reader, what);
  const result: (Buffer | null)[] = [];
  for (let i = 0; i < n; i++) {
    const length = reader.int32();
    if (length === -1) result.push(null);
    else if (length < 0) throw violation(`a ${what} length >= -1`, String(length));
    else result.push(reader.bytes(length));
  }
  return result;
}

function kind(message: string): 'S' | 'P' {
  const byte = reader.byte();
  if (byte === 0x53) return 'S';
  if (byte === 0x50) return 'P';
  throw violation(`'S' or 'P' in ${message}`, `0x${byte.toString(16)}`);
}

/**
 * Decodes a startup-phase frame (untagged).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
export function decodeStartup(frame: Frame): StartupPacket {
  const raw = frame.raw;
  try {
    switch (frame.code) {
      case RequestCode.SSLRequest:
      case RequestCode.GSSENCRequest:
        if (frame.length !== 8) throw violation('an 8-byte encryption request', `${frame.length} bytes`);
        return { name: frame.code === RequestCode.SSLRequest ? 'sslRequest' : 'gssEncRequest', raw };
      case RequestCode.CancelRequest: {
        reader.setBuffer(frame.buffer, frame.bodyStart, frame.end, 'CancelRequest');
        const processId = reader.int32();
        const secretKey = reader.rest();
        // Protocol 3.0 keys are 4 bytes; 3.2 allows up to 256.
        if (secretKey.length < 4 || secretKey.length > 256) {
          throw violation('a cancel key of 4 to 256 bytes', `${secretKey.length} bytes`);
        }
        return { name: 'cancelRequest', raw, processId, secretKey };
      }
      default: {
        reader.setBuffer(frame.buffer, frame.bodyStart, frame.end, 'StartupMessage');
        const parameters = new Map<string, string>();
        for (;;) {
          if (reader.remaining === 0) throw violation('a NUL ending the startup parameters', 'end of packet');
          const name = reader.cstring();
          if (name === '') break;
          parameters.set(name, reader.cstring());
        }
        reader.end();
        return { name: 'startup', raw, major: frame.code >>> 16, minor: frame.code & 0xffff, parameters };
      }
    }
  } finally {
    reader.release();
  }
}

/**
 * Decodes a tagged client message.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
export function decodeFrontend(frame: Frame): FrontendMessage {
  const raw = frame.raw;
  const { buffer, bodyStart, end } = frame;
  try {
    switch (frame.code) {
      case FrontendCode.Query: {
        reader.setBuffer(buffer, bodyStart, end, 'Query message');
        const text = reader.cstring();
        reader.end();
        return { name: 'query', raw, text };
      }
      case FrontendCode.Parse: {
        reader.setBuffer(buffer, bodyStart, end, 'Parse message');
        const statement = reader.cstring();
        const text = reader.cstring();
        const n = readCount(reader, 'parameter type');
        const parameterTypes: number[] = [];
        for (let i = 0; i < n; i++) parameterTypes.push(reader.uint32());
        reader.end();
        return { name: 'parse', raw, statement, text, parameterTypes };
      }
      case FrontendCode.Bind: {
        reader.setBuffer(buffer, bodyStart, end, 'Bind message');
        const portal = reader.cstring();
        const statement = reader.cstring();
        const parameterFormats = formatCodes();
        const parameters = values('parameter');
        const resultFormats = formatCodes();
        reader.end();
        return { name: 'bind', raw, portal, statement, parameterFormats, parameters, resultFormats };
      }
      case FrontendCode.Describe:
      case FrontendCode.Close: {
        const isDescribe = frame.code === FrontendCode.Describe;
        const context = isDescribe ? 'Describe message' : 'Close message';
        reader.setBuffer(buffer, bodyStart, end, context);
        const which = kind(context);
        const target = reader.cstring();
        reader.end();
        return { name: isDescribe ? 'describe' : 'close', raw, kind: which, target };
      }
      case FrontendCode.Execute: {
        reader.setBuffer(buffer, bodyStart, end, 'Execute message');
        const portal = reader.cstring();
        const maxRows = reader.int32();
        reader.end();
        return { name: 'execute', raw, portal, maxRows };
      }
      case FrontendCode.FunctionCall: {
        reader.setBuffer(buffer, bodyStart, end, 'FunctionCall message');
        const oid = reader.uint32();
        const argumentFormats = formatCodes();
        const args = values('argument');
        const resultFormat = reader.int16();
        reader.end();
        return { name: 'functionCall', raw, oid, argumentFormats, arguments: args, resultFormat };
      }
      case FrontendCode.CopyData:
        return { name: 'copyData', raw, data: buffer.subarray(bodyStart, end) };
      case FrontendCode.CopyFail: {
        reader.setBuffer(buffer, bodyStart, end, 'CopyFail message');
        const message = reader.cstring();
        reader.end();
        return { name: 'copyFail', raw, message };
      }
      case FrontendCode.Password:
        return { name: 'password', raw, body: buffer.subarray(bodyStart, end) };
      case FrontendCode.Sync:
        return { name: 'sync', raw };
      case FrontendCode.Flush:
        return { name: 'flush', raw };
      case FrontendCode.CopyDone:
        return { name: 'copyDone', raw };
      case FrontendCode.Terminate:
        return { name: 'terminate', raw };
      default:
        throw violation('a frontend message tag', `0x${frame.code.toString(16)}`);
    }
  } finally {
    reader.release();
  }
}

/** The password a PasswordMessage carries (a NUL-terminated string). */
export function decodePassword(body: Buffer): string {
  reader.setBuffer(body, 0, body.length, 'PasswordMessage');
  try {
    const password = reader.cstring();
    reader.end();
    return password;
  } finally {
    reader.release();
  }
}
