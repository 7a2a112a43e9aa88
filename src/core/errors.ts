/**
 * @module The one error catalog. Every failure Airlock reports, to a client in its own protocol,
 * to an API caller or on the CLI, is an `AirlockError` whose `code` is a key of `errorCatalog`.
 * Each entry carries what the client is told (`message`), what to do next (`action`) and the wire
 * form per protocol. `docs/errors.md` lists the same codes; `errors.test.ts` checks they agree.
 */

/** How one catalog entry reaches each kind of client. */
export interface CatalogEntry {
  /** Safe to show any client: what happened, with no upstream address or credential. */
  readonly message: string;
  /** What the caller should do next. */
  readonly action: string;
  /** PostgreSQL SQLSTATE sent in ErrorResponse. */
  readonly sqlstate: string;
  /** PostgreSQL severity: FATAL ends the connection, ERROR only the statement. */
  readonly severity: 'FATAL' | 'ERROR';
  /** HTTP status for the API's problem+json answers. */
  readonly http: number;
  /** CLI exit status. */
  readonly exit: number;
}

/**
 * Every error code Airlock uses. Add a code here and in docs/errors.md together.
 * @see docs/errors.md
 */
export const errorCatalog = {
  ERR_TOKEN_MISSING: {
    message: 'no Airlock token was given',
    action: 'Pass your Airlock token (or an OIDC access token) as the password.',
    sqlstate: '28P01',
    severity: 'FATAL',
    http: 401,
    exit: 3,
  },
  ERR_TOKEN_INVALID: {
    message: 'the token is not a valid Airlock token or OIDC access token',
    action: 'Create a new token with `airlock token create` or ask an admin for one.',
    sqlstate: '28P01',
    severity: 'FATAL',
    http: 401,
    exit: 3,
  },
  ERR_TOKEN_EXPIRED: {
    message: 'the token has expired',
    action: 'Get a fresh token (`airlock token create`, or a new access token from your identity provider).',
    sqlstate: '28P01',
    severity: 'FATAL',
    http: 401,
    exit: 3,
  },
  ERR_TOKEN_REVOKED: {
    message: 'the token has been revoked',
    action: 'Ask an admin for a new token; revoked tokens never work again.',
    sqlstate: '28P01',
    severity: 'FATAL',
    http: 401,
    exit: 3,
  },
  ERR_IDP_UNAVAILABLE: {
    message: 'the token could not be checked because its identity provider is unreachable',
    action: 'Try again shortly; if it persists, tell an admin (the gateway log names the issuer).',
    sqlstate: '08001',
    severity: 'FATAL',
    http: 503,
    exit: 5,
  },
  ERR_CLEARTEXT_REFUSED: {
    message: 'tokens are accepted in clear text only over TLS or from a loopback address',
    action: 'Connect with TLS (psql: sslmode=require).',
    sqlstate: '28000',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_CONNECTION_UNKNOWN: {
    message: 'there is no such connection',
    action: 'List the connections you may use with `airlock connections list`.',
    sqlstate: '3D000',
    severity: 'FATAL',
    http: 404,
    exit: 4,
  },
  ERR_ACCESS_DENIED: {
    message: 'you have no access to this connection',
    action: 'Ask an admin to add you (or one of your groups) to the connection’s access list.',
    sqlstate: '28000',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_FORBIDDEN: {
    message: 'your identity may not perform this action',
    action: 'This needs an admin (or auditor, for reading) role; ask an admin.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_POLICY_DENIED: {
    message: 'the statement was denied by policy',
    action: 'Change the statement, or ask an admin about the rule named in the detail.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_REVIEW_REQUIRED: {
    message: 'the statement needs an approver’s review',
    action:
      'Nothing ran. Statements under review rules are refused until the review gate is enabled; ask an admin to run it or to change the connection’s review rules.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_SCOPE_DENIED: {
    message: 'the statement is outside the scope of your access to this connection',
    action:
      'Nothing ran. Ask for a wider scope (`airlock request --connection C --scope write --reason ...`) or an admin grant.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_REVIEW_STALE: {
    message: 'your access to this connection has no recent access review',
    action:
      'An approver must certify it: the detail names the request (`airlock approvals approve ID`); reconnect once approved.',
    sqlstate: '42501',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_APPROVAL_DENIED: {
    message: 'the approval request was denied',
    action: 'Nothing ran. The detail names the request; `airlock approvals show ID` gives the reason.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_APPROVAL_TIMEOUT: {
    message: 'no approver decided in time',
    action:
      'Nothing ran. Wait for the request named in the detail (`airlock approvals wait ID`), then retry the statement.',
    sqlstate: '57014',
    severity: 'ERROR',
    http: 408,
    exit: 5,
  },
  ERR_HOLD_CANCELED: {
    message: 'the held statement was canceled at your request',
    action:
      'Nothing ran. The approval request in the detail stays pending: wait for it (`airlock approvals wait ID`), then retry the statement.',
    sqlstate: '57014',
    severity: 'ERROR',
    http: 409,
    exit: 5,
  },
  ERR_APPROVAL_SELF: {
    message: 'you cannot decide a request you made or that acts for you',
    action: 'Ask another approver (a member of the groups the request is waiting for).',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_APPROVAL_NOT_ALLOWED: {
    message: 'your identity may not decide this request',
    action:
      'Only human members of the groups the request waits for may decide it (agents and services never can).',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_APPROVAL_CLOSED: {
    message: 'the request is no longer pending',
    action: 'See `airlock approvals show ID` for how it ended.',
    sqlstate: '55000',
    severity: 'ERROR',
    http: 409,
    exit: 4,
  },
  ERR_BREAK_GLASS_NOT_ALLOWED: {
    message: 'you may not use break-glass on this connection',
    action:
      'Break-glass is for the people in the connection’s `breakGlass:` list; ask for access instead (`airlock request`).',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_UNSUPPORTED: {
    message: 'this feature is not supported through Airlock',
    action: 'Use the plain protocol without the named feature.',
    sqlstate: '0A000',
    severity: 'FATAL',
    http: 400,
    exit: 2,
  },
  ERR_PROTOCOL_VIOLATION: {
    message: 'the client sent bytes that are not valid protocol messages',
    action: 'Use a standard client; the connection was closed.',
    sqlstate: '08P01',
    severity: 'FATAL',
    http: 400,
    exit: 2,
  },
  ERR_UPSTREAM_UNREACHABLE: {
    message: 'the target database could not be reached',
    action: 'Try again shortly; if it persists, tell an admin (the gateway log has the details).',
    sqlstate: '08001',
    severity: 'FATAL',
    http: 502,
    exit: 5,
  },
  ERR_UPSTREAM_AUTH_FAILED: {
    message: 'the target refused the credential Airlock holds for this connection',
    action: 'Tell an admin: the connection’s stored credential needs fixing.',
    sqlstate: '08004',
    severity: 'FATAL',
    http: 502,
    exit: 5,
  },
  ERR_UPSTREAM_TLS_FAILED: {
    message: 'a secure connection to the target could not be established',
    action: 'Tell an admin: check the connection’s tls mode and CA.',
    sqlstate: '08001',
    severity: 'FATAL',
    http: 502,
    exit: 5,
  },
  ERR_AUDIT_UNAVAILABLE: {
    message: 'the statement was refused because the audit journal could not be written',
    action: 'Nothing ran. Retry later; tell an admin that the audit journal is failing.',
    sqlstate: '58030',
    severity: 'ERROR',
    http: 503,
    exit: 5,
  },
  ERR_DELIVERY_FAILED: {
    message: 'an outbound delivery (audit export, notification) failed',
    action: 'Check that the receiver is up and accepts the signature; Airlock retries with backoff.',
    sqlstate: '58000',
    severity: 'ERROR',
    http: 502,
    exit: 5,
  },
  ERR_SHUTTING_DOWN: {
    message: 'Airlock is shutting down',
    action: 'Reconnect in a moment.',
    sqlstate: '57P01',
    severity: 'FATAL',
    http: 503,
    exit: 5,
  },
  ERR_SESSION_TERMINATED: {
    message: 'the session was ended by Airlock',
    action: 'Reconnect; if your access was removed, ask an admin.',
    sqlstate: '57P01',
    severity: 'FATAL',
    http: 410,
    exit: 5,
  },
  ERR_LOCKED: {
    message: 'access is locked',
    action:
      'An admin locked this identity or connection (`airlock lock list` shows why); ask them to unlock it.',
    sqlstate: '42501',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_SESSION_LIMIT: {
    message: 'this identity has too many open sessions on the connection',
    action:
      "Close another session first, or ask an admin to raise the connection's limits.maxSessionsPerIdentity.",
    sqlstate: '53300',
    severity: 'FATAL',
    http: 429,
    exit: 5,
  },
  ERR_SESSION_TIMEOUT: {
    message: 'the session ended: it was idle too long, reached its maximum length, or its token expired',
    action: 'Reconnect (with a fresh token if it expired).',
    sqlstate: '57P05',
    severity: 'FATAL',
    http: 408,
    exit: 5,
  },
  ERR_DELEGATION_DENIED: {
    message: 'the delegation was refused',
    action: 'Delegate a narrower scope, a shorter chain (identity.maxDelegationDepth) or from a live token.',
    sqlstate: '42501',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_UNSAFE_SESSION_SETTING: {
    message: 'the target session runs with a setting under which Airlock cannot check SQL safely',
    action:
      'Tell an admin: the database or role sets standard_conforming_strings off or an unsafe client_encoding (ALTER ROLE/DATABASE ... SET); remove that setting.',
    sqlstate: '42501',
    severity: 'FATAL',
    http: 403,
    exit: 3,
  },
  ERR_CONFIG_INVALID: {
    message: 'the configuration is not valid',
    action: 'Fix the keys listed and run `airlock config check` again.',
    sqlstate: 'F0000',
    severity: 'FATAL',
    http: 500,
    exit: 2,
  },
  ERR_BAD_REQUEST: {
    message: 'the request is not valid',
    action: 'Check the arguments against `airlock --help` or the OpenAPI document.',
    sqlstate: '22023',
    severity: 'ERROR',
    http: 400,
    exit: 2,
  },
  ERR_NOT_FOUND: {
    message: 'no such object',
    action: 'Check the name or id (list commands show what exists).',
    sqlstate: '42704',
    severity: 'ERROR',
    http: 404,
    exit: 4,
  },
  ERR_CONFLICT: {
    message: 'an object with that name already exists',
    action: 'Pick another name, or revoke the existing one first.',
    sqlstate: '42710',
    severity: 'ERROR',
    http: 409,
    exit: 4,
  },
  ERR_UNAUTHENTICATED: {
    message: 'no valid credentials were presented',
    action: 'Send `Authorization: Bearer <token>` (CLI: --token or AIRLOCK_TOKEN).',
    sqlstate: '28000',
    severity: 'FATAL',
    http: 401,
    exit: 3,
  },
  ERR_MASKING_FAILED: {
    message: 'a response could not be masked, so it was not sent; the session was closed',
    action:
      'Retry; if it persists, ask an admin to check the masking rules and the gateway log (it names the cause, never the value).',
    sqlstate: 'XX000',
    severity: 'FATAL',
    http: 500,
    exit: 1,
  },
  ERR_INTERNAL: {
    message: 'Airlock hit an internal error',
    action: 'Retry; if it persists, report it with the time (the gateway log has the details).',
    sqlstate: 'XX000',
    severity: 'ERROR',
    http: 500,
    exit: 1,
  },
  ERR_DELEGATE_FORBIDDEN: {
    message: 'a delegated token may not perform this action',
    action:
      'Delegated and scoped tokens (agents, subagents) may use connections, request access, exchange for narrower tokens and read their own sessions and requests; approvals, grants, reviews and administration need a person with their own token.',
    sqlstate: '42501',
    severity: 'ERROR',
    http: 403,
    exit: 3,
  },
  ERR_PAYLOAD_TOO_LARGE: {
    message: 'the request body is larger than the server accepts',
    action: 'Send a smaller body (the API accepts at most 1 MB).',
    sqlstate: '54000',
    severity: 'ERROR',
    http: 413,
    exit: 2,
  },
} as const satisfies Record<string, CatalogEntry>;

/** Every code in the catalog. `switch (err.code)` narrows on it. */
export type ErrorCode = keyof typeof errorCatalog;

/** Options every AirlockError takes. */
export interface AirlockErrorOptions {
  /** Replaces the catalog message for the client; must stay safe to show (no hosts, no secrets). */
  userMessage?: string;
  /** Extra client-safe detail (PostgreSQL `detail`, problem+json `detail`). */
  detail?: string;
  cause?: unknown;
}

/**
 * The one error type. `message` is for operators and logs; `userMessage` and `action` are for the
 * client and never carry upstream addresses or credentials.
 */
export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message?: string, options: AirlockErrorOptions = {}) {
    const entry = errorCatalog[code];
    super(message ?? options.userMessage ?? entry.message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.userMessage = options.userMessage ?? entry.message;
    this.detail = options.detail;
  }

  /** The catalog entry: wire forms, HTTP status, exit code. */
  get entry(): CatalogEntry {
    return errorCatalog[this.code];
  }

  /** What the client should do next. */
  get action(): string {
    return errorCatalog[this.code].action;
  }
}

/** True when `value` is an AirlockError (across module copies too). */
export function isAirlockError(value: unknown): value is AirlockError {
  return value instanceof AirlockError;
}

/** Wraps anything thrown into an AirlockError, keeping AirlockErrors as they are. */
export function toAirlockError(value: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): AirlockError {
  if (value instanceof AirlockError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new AirlockError(fallback, message, { cause: value });
}
