/**
 * @module The gate: the one decision point every protocol engine asks. It authenticates the token,
 * checks access, decides each command and journals it before the engine may forward it, and keeps
 * the set of live sessions so the server can end them (revoked token, shutdown).
 * Metrics observe it through the `airlock.session` / `airlock.command` diagnostics channels.
 */
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import type {
  AuditError,
  AuditEventBody,
  AuditLog,
  AuditRecord,
  CommandEvent,
  CommandResultEvent,
} from '../audit/events.js';
import { redactSecrets } from '../audit/redact.js';
import type { Clock } from './clock.js';
import type { Command, CommandResult, StatementFacts } from './command.js';
import type { Connection, Protocol } from './connection.js';
import { ALLOW_NO_RULE, type Decision, type Deny, type Hold } from './decision.js';
import { AirlockError, toAirlockError } from './errors.js';
import { type Identity, type IdentityRef, matchesPrincipal, toIdentityRef } from './identity.js';
import { readOnlyBreach } from './read-only.js';
import {
  type ClientInfo,
  type Session,
  type SessionAccess,
  type SessionStats,
  withReview,
} from './session.js';

/** Turns a presented secret (Airlock token or OIDC JWT) into an identity, or throws AirlockError. */
export interface Authenticator {
  authenticate(secret: string): Promise<Identity>;
}

/** What a command policy answers for one command (the strictest over its statements). */
export type PolicyVerdict =
  | { readonly outcome: 'allow'; readonly rule: string }
  | { readonly outcome: 'deny' | 'review'; readonly rule: string; readonly reason: string };

/** Decides classified statements (Cedar in `policy/`); the gate turns verdicts into decisions. */
export interface CommandPolicy {
  decide(
    identity: Identity,
    connection: Connection,
    statements: readonly StatementFacts[] | { readonly unparsed: string },
  ): PolicyVerdict;
}

/** The live set of connections; replaced on config reload. */
export interface ConnectionCatalog {
  get(name: string): Connection | undefined;
}

/** What an engine knows when a client asks to start a session. */
export interface OpenSessionRequest {
  readonly protocol: Protocol;
  readonly connectionName: string;
  /** The token the client presented; empty when it sent none. */
  readonly secret: string;
  readonly client: ClientInfo;
  readonly reason?: string;
}

/** A session the gate can end from outside the engine. */
export interface LiveSession {
  readonly session: Session;
  /** Ends the session now, telling the client `err`. */
  readonly terminate: (err: AirlockError) => void;
}

/** Published on `airlock.session` at open and close. */
export interface SessionChannelMessage {
  readonly phase: 'open' | 'refused' | 'close';
  readonly protocol: Protocol;
  readonly code?: string;
}

/** Published on `airlock.command` for each decision and each result. */
export interface CommandChannelMessage {
  readonly phase: 'decision' | 'result';
  readonly outcome: string;
  readonly durationMs: number;
  /** The rule that decided (decision phase only). */
  readonly rule?: string;
}

export const sessionChannel = diagnostics.channel('airlock.session');
export const commandChannel = diagnostics.channel('airlock.command');

/** How a held command or session ended well: the approval that let it through. */
export interface ApprovalOutcome {
  readonly request: number;
  readonly reviewers: readonly string[];
}

/**
 * The review gate (src/reviews/): who may use a connection with which scope, whether the root
 * identity's access review is fresh, and approvals for held sessions and commands. The async
 * methods run only off the hot path (session open, a stale review, a `review:` verdict).
 */
export interface AccessReviews {
  /** The access a session gets, or undefined (no grant, no access entry). Throws ERR_REVIEW_STALE. */
  admit(identity: Identity, connection: Connection): Promise<SessionAccess | undefined>;
  /**
   * Holds a session whose review is stale until an approver certifies it. `notice` is called once
   * the request exists, with the text for the client. Throws ERR_APPROVAL_DENIED / _TIMEOUT.
   */
  reviewSession(
    session: Session,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<ApprovalOutcome>;
  /** Holds one command until approved (or an earlier approval covers it). Throws like reviewSession. */
  approveCommand(
    session: Session,
    command: Command,
    hold: Hold,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<ApprovalOutcome>;
}

/**
 * What the journal (src/audit/journal.ts) adds to an audit log so a busy engine does not pay one
 * write per event: batches an engine commits before it forwards, and events written a little later.
 */
export interface BatchingAuditLog extends AuditLog {
  begin(): void;
  /** Writes the batch; throws ERR_AUDIT_UNAVAILABLE, with nothing of the batch written, when it cannot. */
  commit(): void;
  /** Appends an event nothing waits on; never throws. */
  appendDeferred(event: AuditEventBody): AuditRecord | undefined;
}

function isBatching(audit: AuditLog): audit is BatchingAuditLog {
  const candidate = audit as Partial<BatchingAuditLog>;
  return (
    typeof candidate.begin === 'function' &&
    typeof candidate.commit === 'function' &&
    typeof candidate.appendDeferred === 'function'
  );
}

/** An event under construction: optional members are assigned after the literal. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The gate's dependencies. */
export interface GateDeps {
  readonly authenticator: Authenticator;
  readonly connections: () => ConnectionCatalog;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Statement policy; without one every classified command is allowed (tests of other layers). */
  readonly policy?: CommandPolicy;
  readonly newSessionId?: () => string;
  /** The review gate; without it access is the connection's `access:` list with scope admin. */
  readonly reviews?: AccessReviews;
  /** Delegation, locks and session limits; without it identities act directly and unlimited. */
  readonly lifecycle?: IdentityLifecycle;
}

/**
 * Identity lifecycle checks at session open (src/identity/delegation.ts, locks.ts): whose access a
 * delegate uses, how its chain narrows that access, and locks and per-identity session limits.
 */
export interface IdentityLifecycle {
  /** The identity the access list and grants are checked for: a delegate's root, else itself. */
  accessPrincipal(identity: Identity): Identity;
  /** `access` narrowed to what the identity's delegation chain allows; throws when nothing is left. */
  narrow(identity: Identity, connection: Connection, access: SessionAccess): SessionAccess;
  /** Throws (ERR_LOCKED, ERR_SESSION_LIMIT) when the session may not open. */
  admit(identity: Identity, connection: Connection): Promise<void>;
}

/** Access when no review gate is wired: the config's access list, every action. */
const ACCESS_LIST: SessionAccess = Object.freeze({
  scope: 'admin',
  readOnly: false,
  source: 'access',
  freshness: 'unreviewed',
});

/** The first statement of `command` whose action the scope does not include, as a denial. */
function outOfScope(access: SessionAccess, actions: ReadonlySet<string>, command: Command): Deny | undefined {
  const statements = command.statements;
  if (command.unparsed === undefined && statements !== undefined && statements.length > 0) {
    let i = 0;
    for (; i < statements.length; i++) {
      const statement = statements[i]!;
      if (!actions.has(statement.action)) break;
      // Only a COPY that sends data to the client reads; COPY FROM writes.
      if (
        statement.action === 'sql.copy' &&
        statement.facts.copyDirection === 'from' &&
        !actions.has('sql.copy.from')
      )
        break;
    }
    if (i === statements.length) {
      // The upstream read-only mode is defence in depth only while the client cannot switch it off.
      const breach = access.readOnly ? readOnlyBreach(access.scope, command) : undefined;
      return breach && { outcome: 'deny', rule: `scope:${access.scope}`, error: breach };
    }
    const action = statements[i]!.action;
    const userMessage = `blocked by airlock: scope ${access.scope}: ${action} is outside your ${access.scope} access`;
    return {
      outcome: 'deny',
      rule: `scope:${access.scope}`,
      error: new AirlockError('ERR_SCOPE_DENIED', userMessage, {
        userMessage,
        detail: `source: ${access.source}`,
      }),
    };
  }
  // A restricted scope fails closed on what it cannot classify.
  const userMessage = `blocked by airlock: scope ${access.scope}: the statement could not be classified`;
  return {
    outcome: 'deny',
    rule: `scope:${access.scope}`,
    error: new AirlockError('ERR_SCOPE_DENIED', userMessage, { userMessage }),
  };
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** True for addresses that never leave the machine. */
export function isLoopback(address: string): boolean {
  return LOOPBACK.test(address);
}

function auditError(err: AirlockError): AuditError {
  return { code: err.code, message: err.userMessage };
}

/** The legacy fastpath FunctionCall carries no SQL the classifier could check: always refused. */
const FUNCTION_CALL_DENIED: Decision = Object.freeze({
  outcome: 'deny',
  rule: 'function-call',
  error: new AirlockError('ERR_POLICY_DENIED', 'FunctionCall message refused', {
    userMessage:
      'blocked by airlock: function-call: the legacy FunctionCall message cannot be checked; call the function in SQL',
  }),
});

/** Turns a policy verdict into the gate's decision with the client's error. */
function toDecision(verdict: PolicyVerdict): Decision {
  if (verdict.outcome === 'allow') return { outcome: 'allow', rule: verdict.rule };
  const userMessage = `blocked by airlock: ${verdict.rule}: ${verdict.reason}`;
  const code = verdict.outcome === 'review' ? 'ERR_REVIEW_REQUIRED' : 'ERR_POLICY_DENIED';
  return {
    outcome: 'deny',
    rule: verdict.rule,
    error: new AirlockError(code, userMessage, { userMessage, detail: `rule: ${verdict.rule}` }),
  };
}

/** The decision point. One per server. */
export class Gate {
  readonly #deps: GateDeps;
  readonly #batching: BatchingAuditLog | undefined;
  /** Per identity object: its audit form, built once and frozen (the journal reuses its JSON). */
  readonly #identityRefs = new WeakMap<Identity, IdentityRef>();
  readonly #live = new Map<string, LiveSession>();
  readonly #decisions = new WeakMap<PolicyVerdict, Decision>();
  readonly #startedMs = new Map<string, number>();
  /** Per live session: when its last statement was decided or answered (idle limits). */
  readonly #lastActiveMs = new Map<string, number>();
  #draining = false;

  constructor(deps: GateDeps) {
    this.#deps = deps;
    this.#batching = isBatching(deps.audit) ? deps.audit : undefined;
  }

  /**
   * Opens an audit batch around one chunk of an engine's work: `checkCommand`'s events are sealed
   * into it and written by `commitAudit`, which the engine must call before it forwards anything of
   * that chunk. A no-op when the audit log does not batch (each append is written at once).
   */
  beginAudit(): void {
    this.#batching?.begin();
  }

  /**
   * Writes the batch `beginAudit` opened. Returns the error when it could not be written: then no
   * `command` event of the batch is in the journal and the engine must forward none of its commands.
   */
  commitAudit(): AirlockError | undefined {
    try {
      this.#batching?.commit();
      return undefined;
    } catch (thrown) {
      return toAirlockError(thrown, 'ERR_AUDIT_UNAVAILABLE');
    }
  }

  #identityRef(identity: Identity): IdentityRef {
    let ref = this.#identityRefs.get(identity);
    if (!ref) {
      ref = Object.freeze(toIdentityRef(identity));
      this.#identityRefs.set(identity, ref);
    }
    return ref;
  }

  /** The `command` event of a decided command (checkCommand and awaitApproval). */
  #commandEvent(
    session: Session,
    command: Command,
    decision: Decision,
    approval?: ApprovalOutcome,
  ): CommandEvent {
    // Optional members are assigned, not spread: conditional spreads take V8's slow path, and
    // this runs for every statement.
    const event: Mutable<CommandEvent> = {
      type: 'command',
      sessionId: session.id,
      identity: this.#identityRef(session.identity),
      connection: session.connection.name,
      protocol: session.protocol,
      commandId: command.id,
      channel: command.channel,
      text: redactSecrets(command.text),
      action: command.action,
      objects: command.objects,
      decision: decision.outcome === 'allow' ? 'allow' : 'deny',
      rule: decision.rule,
    };
    if (command.parameters) event.parameters = command.parameters;
    if (approval) {
      event.approval = approval.request;
      event.approvedBy = approval.reviewers;
    }
    if (decision.outcome === 'deny') event.error = auditError(decision.error);
    return event;
  }

  /**
   * Authenticates and authorises a new session. Writes `session.start` either way. Throws the
   * AirlockError the engine should send (FATAL) when the session may not start.
   */
  async openSession(request: OpenSessionRequest, terminate: LiveSession['terminate']): Promise<Session> {
    const { clock } = this.#deps;
    const id = this.#deps.newSessionId?.() ?? randomUUID();
    let identity: Identity | undefined;
    try {
      if (this.#draining) throw new AirlockError('ERR_SHUTTING_DOWN');
      if (!request.client.tls && !isLoopback(request.client.address)) {
        throw new AirlockError('ERR_CLEARTEXT_REFUSED', `cleartext token from ${request.client.address}`);
      }
      if (request.secret === '') throw new AirlockError('ERR_TOKEN_MISSING');
      identity = await this.#deps.authenticator.authenticate(request.secret);
      const connection = this.#deps.connections().get(request.connectionName);
      if (!connection || connection.type !== request.protocol) {
        throw new AirlockError('ERR_CONNECTION_UNKNOWN', `unknown connection ${request.connectionName}`, {
          userMessage: `there is no connection named "${request.connectionName}"`,
        });
      }
      const reviews = this.#deps.reviews;
      const lifecycle = this.#deps.lifecycle;
      if (lifecycle) await lifecycle.admit(identity, connection);
      // A delegate has no access of its own: its root's, narrowed by the chain's scopes.
      const principal = lifecycle ? lifecycle.accessPrincipal(identity) : identity;
      const admitted = reviews
        ? await reviews.admit(principal, connection)
        : matchesPrincipal(principal, connection.access)
          ? ACCESS_LIST
          : undefined;
      const access = admitted && lifecycle ? lifecycle.narrow(identity, connection, admitted) : admitted;
      if (!access) {
        throw new AirlockError(
          'ERR_ACCESS_DENIED',
          `${identity.subject} not in access of ${connection.name}`,
          {
            userMessage: `"${identity.subject}" has no access to connection "${connection.name}"`,
          },
        );
      }
      const session: Session = {
        id,
        protocol: request.protocol,
        identity,
        connection,
        client: request.client,
        startedAt: clock.now(),
        ...(request.reason ? { reason: request.reason } : {}),
        access,
      };
      this.#deps.audit.append({
        type: 'session.start',
        sessionId: id,
        identity: toIdentityRef(identity),
        connection: connection.name,
        protocol: request.protocol,
        client: request.client,
        ...(request.reason ? { reason: request.reason } : {}),
        outcome: 'success',
      });
      this.#live.set(id, { session, terminate });
      this.#startedMs.set(id, clock.nowMs());
      sessionChannel.publish({ phase: 'open', protocol: request.protocol } satisfies SessionChannelMessage);
      return session;
    } catch (thrown) {
      const err = toAirlockError(thrown);
      sessionChannel.publish({
        phase: 'refused',
        protocol: request.protocol,
        code: err.code,
      } satisfies SessionChannelMessage);
      try {
        this.#deps.audit.append({
          type: 'session.start',
          sessionId: id,
          identity: identity ? toIdentityRef(identity) : undefined,
          connection: request.connectionName,
          protocol: request.protocol,
          client: request.client,
          outcome: 'failure',
          error: auditError(err),
        });
      } catch (auditFailure) {
        // The session is refused anyway; an unwritable journal must not change what the client hears.
        if (err.code !== 'ERR_AUDIT_UNAVAILABLE') void auditFailure;
      }
      throw err;
    }
  }

  /**
   * Decides a command without journaling it: for messages that prepare but do not run anything
   * (PostgreSQL Parse), so a statement that will be refused fails early. Synchronous.
   */
  decide(session: Session, command: Command): Decision {
    if (command.channel === 'function-call') return FUNCTION_CALL_DENIED;
    const access = session.access;
    // Admin sessions skip this (no set): the common path stays one property read.
    if (access?.actions !== undefined) {
      const denied = outOfScope(access, access.actions, command);
      if (denied) return denied;
    }
    const policy = this.#deps.policy;
    if (!policy) return ALLOW_NO_RULE;
    // A command the engine did not classify fails closed like one the classifier could not place.
    const input =
      command.unparsed !== undefined || command.statements === undefined
        ? { unparsed: command.unparsed ?? 'the command was not classified' }
        : command.statements;
    // A config reload may have replaced the connection (tags): decide against the live definition.
    const connection = this.#deps.connections().get(session.connection.name) ?? session.connection;
    const verdict = policy.decide(session.identity, connection, input);
    if (verdict.outcome === 'review' && this.#deps.reviews && connection.reviews) {
      return { outcome: 'hold', rule: verdict.rule, reason: verdict.reason } satisfies Hold;
    }
    let decision = this.#decisions.get(verdict);
    if (!decision) {
      decision = toDecision(verdict);
      // The policy engine caches verdicts; keying on them keeps a repeated statement allocation-free.
      this.#decisions.set(verdict, decision);
    }
    return decision;
  }

  /**
   * Decides one command and journals the decision. Synchronous: the hot path. The engine forwards
   * the command only when the answer is `allow`; an unwritable journal turns allow into deny. Inside
   * an audit batch (`beginAudit`) the event is sealed and written by `commitAudit`, which the engine
   * calls before forwarding anything; a failed commit means none of the batch may be forwarded.
   * `refusal`: a denial the engine reached itself (masking: a statement that would move masked
   * values where they cannot be masked); it is journaled in place of the policy's answer.
   */
  checkCommand(session: Session, command: Command, refusal?: Deny): Decision {
    const startedNs = process.hrtime.bigint();
    this.#lastActiveMs.set(session.id, this.#deps.clock.nowMs());
    let decision: Decision = refusal ?? this.decide(session, command);
    // Held: journaled once decided, by awaitApproval, still before anything is forwarded.
    if (decision.outcome === 'hold') return decision;
    try {
      this.#deps.audit.append(this.#commandEvent(session, command, decision));
    } catch (thrown) {
      decision = { outcome: 'deny', rule: 'audit', error: toAirlockError(thrown, 'ERR_AUDIT_UNAVAILABLE') };
    }
    if (commandChannel.hasSubscribers) {
      commandChannel.publish({
        phase: 'decision',
        outcome: decision.outcome,
        rule: decision.rule,
        durationMs: Number(process.hrtime.bigint() - startedNs) / 1e6,
      } satisfies CommandChannelMessage);
    }
    return decision;
  }

  /**
   * Waits for an approver to decide a held command, then journals the `command` event with the
   * final decision (and the approval request that allowed it). Never rejects: the answer is a
   * decision, deny carrying ERR_APPROVAL_DENIED / ERR_APPROVAL_TIMEOUT with the request id.
   */
  async awaitApproval(
    session: Session,
    command: Command,
    hold: Hold,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<Decision> {
    let decision: Decision;
    let approval: ApprovalOutcome | undefined;
    const reviews = this.#deps.reviews;
    try {
      if (!reviews) throw new AirlockError('ERR_REVIEW_REQUIRED', 'no review gate');
      approval = await reviews.approveCommand(session, command, hold, notice, signal);
      decision = { outcome: 'allow', rule: `${hold.rule}:approved` };
    } catch (thrown) {
      decision = { outcome: 'deny', rule: hold.rule, error: toAirlockError(thrown) };
    }
    try {
      this.#deps.audit.append(this.#commandEvent(session, command, decision, approval));
    } catch (thrown) {
      decision = { outcome: 'deny', rule: 'audit', error: toAirlockError(thrown, 'ERR_AUDIT_UNAVAILABLE') };
    }
    return decision;
  }

  /**
   * Holds a session whose access review is stale until an approver certifies it; returns the
   * session tagged with its reviewers (the live set keeps the tagged copy). Throws the client's error.
   */
  async awaitSessionReview(
    session: Session,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<Session> {
    const reviews = this.#deps.reviews;
    if (!reviews) return session;
    const outcome = await reviews.reviewSession(session, notice, signal);
    const reviewed = withReview(session, { request: outcome.request, reviewers: outcome.reviewers });
    const live = this.#live.get(session.id);
    if (live) this.#live.set(session.id, { session: reviewed, terminate: live.terminate });
    return reviewed;
  }

  /** Records how a forwarded command ended. Never throws: the command already ran. */
  recordResult(session: Session, command: Command, result: CommandResult): void {
    this.#lastActiveMs.set(session.id, this.#deps.clock.nowMs());
    if (commandChannel.hasSubscribers) {
      commandChannel.publish({
        phase: 'result',
        outcome: result.outcome,
        durationMs: result.durationMs,
      } satisfies CommandChannelMessage);
    }
    const event: Mutable<CommandResultEvent> = {
      type: 'command.result',
      sessionId: session.id,
      identity: this.#identityRef(session.identity),
      connection: session.connection.name,
      protocol: session.protocol,
      commandId: command.id,
      outcome: result.outcome,
      durationMs: result.durationMs,
    };
    if (result.rows !== undefined) event.rows = result.rows;
    if (result.errorCode) {
      event.error = { code: result.errorCode, message: redactSecrets(result.errorMessage ?? '') };
    }
    if (result.masked) event.masked = result.masked;
    // Not a forwarding precondition: written with the next write, in chain order.
    if (this.#batching) {
      this.#batching.appendDeferred(event);
      return;
    }
    try {
      this.#deps.audit.append(event);
    } catch {
      // Counted by the journal's own failure metric; the statement has already run.
    }
  }

  /** Ends a session's bookkeeping and writes `session.end`. Call exactly once, from a finally. */
  closeSession(session: Session, stats: SessionStats, error?: AirlockError): void {
    this.#live.delete(session.id);
    const started = this.#startedMs.get(session.id) ?? session.startedAt.getTime();
    this.#startedMs.delete(session.id);
    this.#lastActiveMs.delete(session.id);
    sessionChannel.publish({ phase: 'close', protocol: session.protocol } satisfies SessionChannelMessage);
    try {
      this.#deps.audit.append({
        type: 'session.end',
        sessionId: session.id,
        identity: toIdentityRef(session.identity),
        connection: session.connection.name,
        protocol: session.protocol,
        durationMs: this.#deps.clock.nowMs() - started,
        bytesFromClient: stats.bytesFromClient,
        bytesToClient: stats.bytesToClient,
        statements: stats.statements,
        outcome: error ? 'failure' : 'success',
        ...(error ? { error: auditError(error) } : {}),
      });
    } catch {
      // Nothing left to refuse; the journal counts its own failures.
    }
  }

  /** When session `id` last decided or finished a statement, else when it opened (ms). */
  lastActiveMs(id: string): number | undefined {
    return this.#lastActiveMs.get(id) ?? this.#startedMs.get(id);
  }

  /**
   * The live definition of connection `name`: a config reload replaces it (a new object), so an
   * engine that follows reloads mid-session (masking rules) compares it with the one it started on.
   */
  connection(name: string): Connection | undefined {
    return this.#deps.connections().get(name);
  }

  /** Sessions open right now. */
  liveSessions(): IterableIterator<LiveSession> {
    return this.#live.values();
  }

  /** Ends every live session matching `predicate`, telling each client `err`. Returns how many. */
  terminateWhere(predicate: (session: Session) => boolean, err: AirlockError): number {
    let count = 0;
    for (const live of [...this.#live.values()]) {
      if (predicate(live.session)) {
        live.terminate(err);
        count++;
      }
    }
    return count;
  }

  /** Refuses new sessions from now on (SIGTERM drain). */
  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }
}
