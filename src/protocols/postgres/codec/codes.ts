/**
 * @module PostgreSQL protocol 3.0 message codes and constants. Plain `as const` objects, so the values
 * inline under erasable TypeScript builds.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Tags of messages a client sends (after the startup packet). */
export const FrontendCode = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, SASLInitialResponse and SASLResponse share this tag. */
  Password: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const;

/** Tags of messages a server sends. */
export const BackendCode = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const;

/** Request codes of untagged startup packets (the int32 after the length). */
export const RequestCode = {
  CancelRequest: 80877102,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
} as const;

/** Protocol version 3.0 as sent in a StartupMessage (major << 16 | minor). */
export const PROTOCOL_3_0 = 3 << 16;

/** The `R` message's int32 subtype. */
export const AuthenticationType = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** ReadyForQuery transaction status bytes. */
export const TransactionStatus = {
  Idle: 0x49, // I
  InTransaction: 0x54, // T
  Failed: 0x45, // E
} as const;

/** Single-byte answers to SSLRequest / GSSENCRequest. */
export const SslResponse = {
  Accept: 0x53, // S
  Refuse: 0x4e, // N
} as const;

/**
 * ErrorResponse / NoticeResponse field type bytes.
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export const ErrorField = {
  Severity: 0x53, // S (localized)
  SeverityNonLocalized: 0x56, // V
  Code: 0x43, // C
  Message: 0x4d, // M
  Detail: 0x44, // D
  Hint: 0x48, // H
  Position: 0x50, // P
  InternalPosition: 0x70, // p
  InternalQuery: 0x71, // q
  Where: 0x57, // W
  Schema: 0x73, // s
  Table: 0x74, // t
  Column: 0x63, // c
  DataType: 0x64, // d
  Constraint: 0x6e, // n
  File: 0x46, // F
  Line: 0x4c, // L
  Routine: 0x52, // R
} as const;

/** Largest startup packet PostgreSQL accepts (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_LENGTH = 10_000;

/** Default cap on one data message (a huge DataRow, CopyData or Bind). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 256 * 1024 * 1024;
