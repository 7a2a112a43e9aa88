/**
 * @module The validated configuration, as the rest of Airlock sees it. `config/` turns YAML into
 * this (paths absolute, defaults filled in); nothing else reads the YAML or `process.env`.
 */
import type { Connection, SecretRef } from './connection.js';
import type { IdentityKind, PrincipalRef } from './identity.js';

/** A `host:port` listener address. Port 0 picks a free port (tests). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** One trusted OIDC issuer. */
export interface OidcIssuer {
  /** Short name; OIDC subjects become `NAME:VALUE`. */
  readonly name: string;
  /** Issuer URL; its discovery document names the JWKS. */
  readonly issuer: string;
  readonly audience: string;
  readonly groupsClaim: string;
  readonly subjectClaim: string;
  /** Fixed kind for this issuer's identities, unless `kindClaim` is set and present. */
  readonly kind: IdentityKind;
  readonly kindClaim?: string;
}

/** `identity.login`: the issuer and public client `airlock login` runs the device flow with. */
export interface IdentityLogin {
  /** The `identity.oidc` entry's name. */
  readonly issuer: string;
  /** That entry's issuer URL. */
  readonly issuerUrl: string;
  readonly clientId: string;
  /** Scopes asked for (space-separated); `openid` by default. */
  readonly scope: string;
}

/** Settings every audit export sink shares. */
interface ExportSinkBase {
  /** Unique; the key of the sink's delivery cursor, so renaming a sink starts it from the beginning. */
  readonly name: string;
  /** Most events per delivery. */
  readonly batchSize: number;
  /** How long a sink waits for more events before delivering a short batch, in ms. */
  readonly flushIntervalMs: number;
}

/** Audit events appended to a local file, one sealed record per line. */
export interface JsonlExportSink extends ExportSinkBase {
  readonly type: 'jsonl';
  /** Absolute path of the live file; rotated files sit beside it with a timestamp suffix. */
  readonly path: string;
  /** Rotate when the file would grow past this many bytes (absent: no size limit). */
  readonly rotateMaxBytes?: number;
  /** Rotate when the UTC day changes. */
  readonly rotateDaily: boolean;
}

/** Audit events POSTed in batches to an HTTP endpoint, signed with HMAC-SHA256. */
export interface WebhookExportSink extends ExportSinkBase {
  readonly type: 'webhook';
  readonly url: string;
  /** The HMAC key, resolved at each delivery. */
  readonly secret: SecretRef;
  /** Longest one POST may take, in ms. */
  readonly timeoutMs: number;
  /** Attempts at a batch the receiver refuses for good (permanent 4xx) before it is dead-lettered; default 10. */
  readonly deadLetterAfter?: number;
}

/** One `audit.export` entry. */
export type ExportSink = JsonlExportSink | WebhookExportSink;

/** One `notifications:` target: where approvers hear about requests (src/notify/). */
export interface NotificationTarget {
  /** Unique; names the target in logs. */
  readonly name: string;
  /** `webhook`: signed JSON; `slack`: a Slack-compatible incoming-webhook message (`{text, blocks}`). */
  readonly type: 'webhook' | 'slack';
  /** The receiver's URL: a secret itself for Slack, so it may come from `{env}` or `{file}` too. */
  readonly url: SecretRef;
  /** The HMAC key (`X-Airlock-Signature`); required for webhooks, optional for Slack. */
  readonly secret?: SecretRef;
  /** The approver groups/users it serves; absent: every request. Break-glass reaches every target. */
  readonly groups?: readonly PrincipalRef[];
  /** Longest one POST may take, in ms. */
  readonly timeoutMs: number;
}

/** A configured retention period. */
export interface RetentionPeriod {
  /** As written in the config (`400d`), for audit events and logs. */
  readonly text: string;
  readonly ms: number;
}

/** The whole validated configuration. */
export interface AirlockConfig {
  /** Absolute path of the file it came from (empty for built-in configs such as `airlock demo`). */
  readonly file: string;
  /** `sqlite:/abs/path.db` or `postgres://...`. */
  readonly store: string;
  /** Folder for node-local state: journal, self-signed certificate, node key. */
  readonly stateDir: string;
  /** Node id for audit chains; defaults to the host name. */
  readonly node: string;
  readonly listen: {
    readonly api: ListenAddress;
    readonly postgres?: ListenAddress;
    /** Absolute paths; when absent Airlock generates a self-signed pair in `stateDir`. */
    readonly tls?: { readonly cert: string; readonly key: string };
  };
  readonly admins: readonly PrincipalRef[];
  readonly auditors: readonly PrincipalRef[];
  readonly identity: {
    readonly oidc: readonly OidcIssuer[];
    /** Longest delegation chain (actors a token may act for); absent in configs built in code: 3. */
    readonly maxDelegationDepth?: number;
    /** What `airlock login` uses; advertised at GET /api/v1/auth/config. */
    readonly login?: IdentityLogin;
  };
  readonly connections: readonly Connection[];
  readonly logging: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  /** Audit export sinks. Optional so configs built in code stay valid; `parseConfig` always sets it. */
  readonly audit?: { readonly export: readonly ExportSink[] };
  /** Notification targets; absent or empty: approvers are only told through the server log. */
  readonly notifications?: readonly NotificationTarget[];
  /** How long data is kept; an absent period keeps it forever. */
  readonly retention?: { readonly audit?: RetentionPeriod; readonly recordings?: RetentionPeriod };
  /** Where session recordings are written; absent in configs built in code: `<stateDir>/recordings`. */
  readonly recordings?: { readonly dir: string };
  /** Warnings found while loading (e.g. literal passwords); printed by `config check` and at start. */
  readonly warnings: readonly string[];
}
