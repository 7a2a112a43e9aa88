/**
 * @module Wire-byte builders for tests (pg-protocol's `testing/test-buffers.ts` idea): every message
 * either side can send, built field by field, so tests and the fuzzer's seeds read as protocol rather
 * than hex blobs. Independent of the serializer, so serializer tests compare against these.
 */
import { BufferWriter } from '../../../wire/buffer-writer.js';

const w = new BufferWriter();

function fromChar(char: string): number {
  return char.charCodeAt(0);
}

function values(list: readonly (Buffer | string | null)[]): void {
  w.int16(list.length);
  for (const value of list) {
    if (value === null) {
      w.int32(-1);
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      w.int32(bytes.length).bytes(bytes);
    }
  }
}

/** Messages a client sends. */
export const frontend = {
  startup(parameters: Record<string, string>, major = 3, minor = 0): Buffer {
    w.int32((major << 16) | minor);
    for (const [name, value] of Object.entries(parameters)) w.cstring(name).cstring(value);
    return Buffer.from(w.byte(0).flush());
  },
  sslRequest: (): Buffer => Buffer.from(w.int32(80877103).flush()),
  gssEncRequest: (): Buffer => Buffer.from(w.int32(80877104).flush()),
  cancelRequest: (processId: number, secretKey: Buffer): Buffer =>
    Buffer.from(w.int32(80877102).int32(processId).bytes(secretKey).flush()),
  password: (password: string): Buffer => Buffer.from(w.cstring(password).flush(fromChar('p'))),
  query: (text: string): Buffer => Buffer.from(w.cstring(text).flush(fromChar('Q'))),
  parse(statement: string, text: string, types: readonly number[] = []): Buffer {
    w.cstring(statement).cstring(text).int16(types.length);
    for (const type of types) w.int32(type);
    return Buffer.from(w.flush(fromChar('P')));
  },
  bind(
    portal: string,
    statement: string,
    parameters: readonly (Buffer | string | null)[] = [],
    formats: readonly number[] = [],
    resultFormats: readonly number[] = [],
  ): Buffer {
    w.cstring(portal).cstring(statement).int16(formats.length);
    for (const format of formats) w.int16(format);
    values(parameters);
    w.int16(resultFormats.length);
    for (const format of resultFormats) w.int16(format);
    return Buffer.from(w.flush(fromChar('B')));
  },
  describe: (kind: 'S' | 'P', name: string): Buffer =>
    Buffer.from(w.byte(fromChar(kind)).cstring(name).flush(fromChar('D'))),
  execute: (portal = '', maxRows = 0): Buffer =>
    Buffer.from(w.cstring(portal).int32(maxRows).flush(fromChar('E'))),
  close: (kind: 'S' | 'P', name: string): Buffer =>
    Buffer.from(w.byte(fromChar(kind)).cstring(name).flush(fromChar('C'))),
  sync: (): Buffer => Buffer.from(w.flush(fromChar('S'))),
  flush: (): Buffer => Buffer.from(w.flush(fromChar('H'))),
  terminate: (): Buffer => Buffer.from(w.flush(fromChar('X'))),
  copyData: (data: Buffer | string): Buffer =>
    Buffer.from(w.bytes(typeof data === 'string' ? Buffer.from(data) : data).flush(fromChar('d'))),
  copyDone: (): Buffer => Buffer.from(w.flush(fromChar('c'))),
  copyFail: (message: string): Buffer => Buffer.from(w.cstring(message).flush(fromChar('f'))),
  functionCall(
    oid: number,
    args: readonly (Buffer | string | null)[],
    formats: readonly number[] = [],
  ): Buffer {
    w.int32(oid).int16(formats.length);
    for (const format of formats) w.int16(format);
    values(args);
    return Buffer.from(w.int16(0).flush(fromChar('F')));
  },
};

/** Messages a server sends. */
export const backend = {
  authentication(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
    return Buffer.from(w.int32(type).bytes(payload).flush(fromChar('R')));
  },
  authenticationOk: (): Buffer => backend.authentication(0),
  cleartextPassword: (): Buffer => backend.authentication(3),
  md5Password: (salt: Buffer): Buffer => backend.authentication(5, salt),
  sasl(mechanisms: readonly string[]): Buffer {
    w.int32(10);
    for (const mechanism of mechanisms) w.cstring(mechanism);
    return Buffer.from(w.byte(0).flush(fromChar('R')));
  },
  saslContinue: (data: string): Buffer => backend.authentication(11, Buffer.from(data)),
  saslFinal: (data: string): Buffer => backend.authentication(12, Buffer.from(data)),
  parameterStatus: (name: string, value: string): Buffer =>
    Buffer.from(w.cstring(name).cstring(value).flush(fromChar('S'))),
  backendKeyData: (processId: number, secretKey: Buffer): Buffer =>
    Buffer.from(w.int32(processId).bytes(secretKey).flush(fromChar('K'))),
  readyForQuery: (status: 'I' | 'T' | 'E' = 'I'): Buffer =>
    Buffer.from(w.byte(fromChar(status)).flush(fromChar('Z'))),
  error: (fields: Record<string, string>): Buffer => backend.notice(fields, 'E'),
  notice(fields: Record<string, string>, tag: 'E' | 'N' = 'N'): Buffer {
    for (const [type, value] of Object.entries(fields)) w.byte(fromChar(type)).cstring(value);
    return Buffer.from(w.byte(0).flush(fromChar(tag)));
  },
  commandComplete: (tag: string): Buffer => Buffer.from(w.cstring(tag).flush(fromChar('C'))),
  rowDescription(fields: readonly { name: string; typeOid?: number }[]): Buffer {
    w.int16(fields.length);
    for (const field of fields) {
      w.cstring(field.name)
        .int32(0)
        .int16(0)
        .int32(field.typeOid ?? 25)
        .int16(-1)
        .int32(-1)
        .int16(0);
    }
    return Buffer.from(w.flush(fromChar('T')));
  },
  dataRow(columns: readonly (Buffer | string | null)[]): Buffer {
    values(columns);
    return Buffer.from(w.flush(fromChar('D')));
  },
  emptyQueryResponse: (): Buffer => Buffer.from(w.flush(fromChar('I'))),
  portalSuspended: (): Buffer => Buffer.from(w.flush(fromChar('s'))),
  parseComplete: (): Buffer => Buffer.from(w.flush(fromChar('1'))),
  bindComplete: (): Buffer => Buffer.from(w.flush(fromChar('2'))),
  closeComplete: (): Buffer => Buffer.from(w.flush(fromChar('3'))),
  noData: (): Buffer => Buffer.from(w.flush(fromChar('n'))),
  copyResponse(tag: 'G' | 'H' | 'W', columns: number, format = 0): Buffer {
    w.byte(format).int16(columns);
    for (let i = 0; i < columns; i++) w.int16(format);
    return Buffer.from(w.flush(fromChar(tag)));
  },
  copyData: (data: string): Buffer => Buffer.from(w.string(data).flush(fromChar('d'))),
  copyDone: (): Buffer => Buffer.from(w.flush(fromChar('c'))),
  parameterDescription(types: readonly number[]): Buffer {
    w.int16(types.length);
    for (const type of types) w.int32(type);
    return Buffer.from(w.flush(fromChar('t')));
  },
  notification: (processId: number, channel: string, payload: string): Buffer =>
    Buffer.from(w.int32(processId).cstring(channel).cstring(payload).flush(fromChar('A'))),
  negotiateProtocolVersion(minor: number, options: readonly string[]): Buffer {
    w.int32(minor).int32(options.length);
    for (const option of options) w.cstring(option);
    return Buffer.from(w.flush(fromChar('v')));
  },
  functionCallResponse(value: Buffer | null): Buffer {
    if (value === null) w.int32(-1);
    else w.int32(value.length).bytes(value);
    return Buffer.from(w.flush(fromChar('V')));
  },
};

/** Splits `bytes` at the given offsets (sorted or not), for chunking tests. */
export function chunkAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    if (point > last) chunks.push(bytes.subarray(last, point));
    last = point;
  }
  if (last < bytes.length) chunks.push(bytes.subarray(last));
  return chunks;
}
