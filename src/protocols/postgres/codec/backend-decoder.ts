/**
 * @module Decodes frames a server sends into message objects, on demand. A relay decodes only what it
 * must look at (ReadyForQuery, CommandComplete, ErrorResponse...) and forwards the rest by `raw`.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BufferReader } from '../../../wire/buffer-reader.js';
import { AuthenticationType, BackendCode, ErrorField, TransactionStatus } from './codes.js';
import type {
  AuthenticationMessage,
  BackendMessage,
  FieldDescription,
  Frame,
  NoticeFields,
} from './messages.js';
import { readCount, violation } from './violation.js';

const reader = new BufferReader();

function authentication(raw: Buffer): AuthenticationMessage {
  const type = reader.int32();
  switch (type) {
    case AuthenticationType.MD5Password: {
      const salt = reader.bytes(4);
      reader.end();
      return { name: 'authentication', raw, type, salt };
    }
    case AuthenticationType.SASL: {
      const mechanisms: string[] = [];
      for (;;) {
        if (reader.remaining === 0) throw violation('a NUL ending the SASL mechanism list', 'end of message');
        const mechanism = reader.cstring();
        if (mechanism === '') break;
        mechanisms.push(mechanism);
      }
      reader.end();
      return { name: 'authentication', raw, type, mechanisms };
    }
    case AuthenticationType.Ok:
    case AuthenticationType.KerberosV5:
    case AuthenticationType.CleartextPassword:
    case AuthenticationType.GSS:
    case AuthenticationType.SSPI:
      reader.end();
      return { name: 'authentication', raw, type };
    default:
      // SASLContinue, SASLFinal, GSSContinue and anything newer carry an opaque payload.
      return { name: 'authentication', raw, type, data: reader.rest() };
  }
}

/**
 * ErrorResponse / NoticeResponse fields.
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
function noticeFields(): NoticeFields {
  const all = new Map<number, string>();
  for (;;) {
    if (reader.remaining === 0) throw violation('a NUL ending the error fields', 'end of message');
    const type = reader.byte();
    if (type === 0) break;
    all.set(type, reader.cstring());
  }
  reader.end();
  const optional = (type: number, key: 'detail' | 'hint' | 'position' | 'where') => {
    const value = all.get(type);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    severity: all.get(ErrorField.SeverityNonLocalized) ?? all.get(ErrorField.Severity) ?? '',
    code: all.get(ErrorField.Code) ?? '',
    message: all.get(ErrorField.Message) ?? '',
    ...optional(ErrorField.Detail, 'detail'),
    ...optional(ErrorField.Hint, 'hint'),
    ...optional(ErrorField.Position, 'position'),
    ...optional(ErrorField.Where, 'where'),
    all,
  };
}

function formatList(): number[] {
  const n = readCount(reader, 'format code');
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push(reader.int16());
  return codes;
}

/** Decodes any server message. */
export function decodeBackend(frame: Frame): BackendMessage {
  const raw = frame.raw;
  const { code } = frame;
  reader.setBuffer(
    frame.buffer,
    frame.bodyStart,
    frame.end,
    `backend message '${String.fromCharCode(code)}'`,
  );
  try {
    switch (code) {
      case BackendCode.Authentication:
        return authentication(raw);
      case BackendCode.ParameterStatus: {
        const parameter = reader.cstring();
        const value = reader.cstring();
        reader.end();
        return { name: 'parameterStatus', raw, parameter, value };
      }
      case BackendCode.BackendKeyData: {
        const processId = reader.int32();
        const secretKey = reader.rest();
        if (secretKey.length < 4 || secretKey.length > 256) {
          throw violation('a cancel key of 4 to 256 bytes', `${secretKey.length} bytes`);
        }
        return { name: 'backendKeyData', raw, processId, secretKey };
      }
      case BackendCode.ReadyForQuery: {
        const status = reader.byte();
        reader.end();
        if (
          status !== TransactionStatus.Idle &&
          status !== TransactionStatus.InTransaction &&
          status !== TransactionStatus.Failed
        ) {
          throw violation("a transaction status 'I', 'T' or 'E'", `0x${status.toString(16)}`);
        }
        return { name: 'readyForQuery', raw, status };
      }
      case BackendCode.ErrorResponse:
        return { name: 'errorResponse', raw, fields: noticeFields() };
      case BackendCode.NoticeResponse:
        return { name: 'noticeResponse', raw, fields: noticeFields() };
      case BackendCode.CommandComplete: {
        const tag = reader.cstring();
        reader.end();
        return { name: 'commandComplete', raw, tag };
      }
      case BackendCode.RowDescription: {
        const n = readCount(reader, 'field');
        const fields: FieldDescription[] = [];
        for (let i = 0; i < n; i++) {
          fields.push({
            name: reader.cstring(),
            tableOid: reader.uint32(),
            columnAttribute: reader.int16(),
            typeOid: reader.uint32(),
            typeSize: reader.int16(),
            typeModifier: reader.int32(),
            format: reader.int16(),
          });
        }
        reader.end();
        return { name: 'rowDescription', raw, fields };
      }
      case BackendCode.DataRow: {
        const n = readCount(reader, 'column');
        const values: (Buffer | null)[] = [];
        for (let i = 0; i < n; i++) {
          const length = reader.int32();
          if (length === -1) values.push(null);
          else if (length < 0) throw violation('a column length >= -1', String(length));
          else values.push(reader.bytes(length));
        }
        reader.end();
        return { name: 'dataRow', raw, values };
      }
      case BackendCode.CopyInResponse:
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyBothResponse: {
        const format = reader.byte();
        const columnFormats = formatList();
        reader.end();
        const name =
          code === BackendCode.CopyInResponse
            ? 'copyInResponse'
            : code === BackendCode.CopyOutResponse
              ? 'copyOutResponse'
              : 'copyBothResponse';
        return { name, raw, format, columnFormats };
      }
      case BackendCode.CopyData:
        return { name: 'copyData', raw, data: reader.rest() };
      case BackendCode.ParameterDescription: {
        const n = readCount(reader, 'parameter');
        const typeOids: number[] = [];
        for (let i = 0; i < n; i++) typeOids.push(reader.uint32());
        reader.end();
        return { name: 'parameterDescription', raw, typeOids };
      }
      case BackendCode.NotificationResponse: {
        const processId = reader.int32();
        const channel = reader.cstring();
        const payload = reader.cstring();
        reader.end();
        return { name: 'notificationResponse', raw, processId, channel, payload };
      }
      case BackendCode.NegotiateProtocolVersion: {
        const newestMinor = reader.int32();
        const n = reader.int32();
        if (n < 0) throw violation('a non-negative option count', String(n));
        const unrecognizedOptions: string[] = [];
        for (let i = 0; i < n; i++) unrecognizedOptions.push(reader.cstring());
        reader.end();
        return { name: 'negotiateProtocolVersion', raw, newestMinor, unrecognizedOptions };
      }
      case BackendCode.FunctionCallResponse: {
        const length = reader.int32();
        if (length < -1) throw violation('a result length >= -1', String(length));
        const value = length === -1 ? null : reader.bytes(length);
        reader.end();
        return { name: 'functionCallResponse', raw, value };
      }
      case BackendCode.ParseComplete:
        return { name: 'parseComplete', raw };
      case BackendCode.BindComplete:
        return { name: 'bindComplete', raw };
      case BackendCode.CloseComplete:
        return { name: 'closeComplete', raw };
      case BackendCode.NoData:
        return { name: 'noData', raw };
      case BackendCode.EmptyQueryResponse:
        return { name: 'emptyQueryResponse', raw };
      case BackendCode.PortalSuspended:
        return { name: 'portalSuspended', raw };
      case BackendCode.CopyDone:
        return { name: 'copyDone', raw };
      default:
        throw violation('a backend message tag', `0x${code.toString(16)}`);
    }
  } finally {
    reader.release();
  }
}
