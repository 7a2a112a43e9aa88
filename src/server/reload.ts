/**
 * @module Config reload (SIGHUP, `airlock config reload`, `POST /api/v1/config/reload`): re-reads
 * the config file, validates all of it (keys, then every connection's guardrails compiled to Cedar),
 * and either rejects it, leaving the running config untouched, or swaps in the new connection
 * catalog and policy engine in one synchronous step. New statements, including those of sessions
 * already open, are decided with the new policy; open sessions keep their target connection.
 * Sessions whose connection was removed, or whose identity lost access to it, end at once
 * (ERR_SESSION_TERMINATED). Keys the running process cannot swap (listeners, store, stateDir, node,
 * identity providers, export sinks, retention periods) keep their old values until a restart, with
 * a warning.
 */
import type { Logger } from 'pino';
import type { ConfigReloadView } from '../admin/service.js';
import type { AuditLog } from '../audit/events.js';
import { checkConfigFile } from '../config/load.js';
import type { AirlockConfig } from '../core/config.js';
import type { Connection } from '../core/connection.js';
import { AirlockError, toAirlockError } from '../core/errors.js';
import type { CommandPolicy, Gate, LiveSession, PolicyVerdict } from '../core/gate.js';
import { type Identity, matchesPrincipal, toIdentityRef } from '../core/identity.js';
import { accessPrincipal } from '../identity/delegation.js';
import { PolicyEngine, type PolicyInput } from '../policy/index.js';

/** A config file read and compiled, or everything wrong with it. */
export type PreparedConfig =
  | {
      readonly ok: true;
      readonly config: AirlockConfig;
      readonly policy: PolicyEngine;
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly warnings: readonly string[] };

/**
 * Reads `file` and validates it the way a start would: every key (`config/validate.ts`), then every
 * connection's guardrails and `.cedar` files compiled by the policy engine. Lists every problem.
 */
export async function prepareConfig(file: string, env: NodeJS.ProcessEnv): Promise<PreparedConfig> {
  const checked = await checkConfigFile(file, env);
  if (!checked.config || checked.problems.length > 0) {
    // The connections that are fine on their own are still compiled: a broken `.cedar` file must
    // show in the same run as a typo elsewhere, not only after the typo is fixed.
    const valid = checked.validConnections ?? [];
    const cedar = valid.length > 0 ? compile(valid).problems : [];
    return { ok: false, problems: [...checked.problems, ...cedar], warnings: checked.warnings };
  }
  const compiled = compile(checked.config.connections);
  if (!compiled.policy) return { ok: false, problems: compiled.problems, warnings: checked.warnings };
  return {
    ok: true,
    config: checked.config,
    policy: compiled.policy,
    warnings: [...checked.warnings, ...compiled.policy.warnings],
  };
}

/** Compiles the connections' guardrails and policies: the engine, or every problem found. */
function compile(connections: readonly Connection[]): { policy?: PolicyEngine; problems: string[] } {
  try {
    return { policy: new PolicyEngine({ connections }), problems: [] };
  } catch (thrown) {
    const err = toAirlockError(thrown);
    const problems = err.code === 'ERR_CONFIG_INVALID' && err.detail ? err.detail.split('\n') : [err.message];
    return { problems };
  }
}

/**
 * The gate's statement policy, replaceable in one assignment: the gate keeps one `CommandPolicy`
 * for its lifetime, a reload swaps the engine behind it.
 */
export class LivePolicy implements CommandPolicy {
  #engine: PolicyEngine;

  constructor(engine: PolicyEngine) {
    this.#engine = engine;
  }

  get engine(): PolicyEngine {
    return this.#engine;
  }

  swap(engine: PolicyEngine): void {
    this.#engine = engine;
  }

  decide(identity: Identity, connection: Connection, statements: PolicyInput): PolicyVerdict {
    return this.#engine.decide(identity, connection, statements);
  }
}

/** Which connections a new config adds, changes and removes, by name. */
export interface ConnectionDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

/** Compares two connection lists by name; a connection is changed when any field differs. */
export function diffConnections(before: readonly Connection[], after: readonly Connection[]): ConnectionDiff {
  const old = new Map(before.map((c) => [c.name, c]));
  const next = new Map(after.map((c) => [c.name, c]));
  const added = [...next.keys()].filter((name) => !old.has(name));
  const removed = [...old.keys()].filter((name) => !next.has(name));
  const changed = [...next.keys()].filter(
    // Both come from the same validator, which builds objects with keys in the same order.
    (name) => old.has(name) && JSON.stringify(old.get(name)) !== JSON.stringify(next.get(name)),
  );
  return { added, changed, removed };
}

/**
 * Top-level keys a running server cannot swap: they keep their old values until a restart. The
 * exporter's loops and cursors (`audit`) and the retention schedule (`retention`) are built once at
 * start, and so is the recorder's folder (`recordings`); swapping them mid-delivery or mid-run is
 * not worth the risk of a skipped or doubled batch.
 */
const RESTART_KEYS = [
  'store',
  'stateDir',
  'node',
  'listen',
  'identity',
  'audit',
  'retention',
  'recordings',
] as const;

/** The keys of `RESTART_KEYS` whose value differs between the two configs. */
export function restartRequired(before: AirlockConfig, after: AirlockConfig): string[] {
  return RESTART_KEYS.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** What the reloader reads and changes in the running server. */
export interface ReloadDeps {
  readonly log: Logger;
  readonly audit: AuditLog;
  readonly gate: Pick<Gate, 'liveSessions'>;
  readonly env: NodeJS.ProcessEnv;
  /** The config in force now. */
  readonly current: () => AirlockConfig;
  /** Puts a validated config and its policy in force; synchronous, so no statement sees half of it. */
  readonly apply: (config: AirlockConfig, policy: PolicyEngine) => void;
}

/** How a reload was asked for. */
export type ReloadTrigger = 'signal' | 'api';

/** Re-reads the config file on request; one reload at a time. */
export class ConfigReloader {
  readonly #deps: ReloadDeps;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #outcomes = { success: 0, failure: 0 };

  constructor(deps: ReloadDeps) {
    this.#deps = deps;
  }

  /** Reloads since start by outcome (a refused or unjournaled reload is a failure), for `/metrics`. */
  stats(): { readonly success: number; readonly failure: number } {
    return { ...this.#outcomes };
  }

  /** Reloads as `actor`; resolves with what happened (never rejects for an invalid file). */
  reload(actor: Identity, trigger: ReloadTrigger): Promise<ConfigReloadView> {
    const next = this.#queue
      .then(() => this.#reload(actor, trigger))
      .then(
        (report) => {
          this.#outcomes[report.outcome]++;
          return report;
        },
        (err: unknown) => {
          this.#outcomes.failure++;
          throw err;
        },
      );
    this.#queue = next.catch(() => {});
    return next;
  }

  async #reload(actor: Identity, trigger: ReloadTrigger): Promise<ConfigReloadView> {
    const { log, audit } = this.#deps;
    const before = this.#deps.current();
    const file = before.file;
    const event = {
      type: 'config.reload' as const,
      actor: toIdentityRef(actor),
      trigger,
      file,
    };
    const prepared: PreparedConfig =
      file === ''
        ? {
            ok: false,
            problems: ['this server was started without a config file: nothing to re-read'],
            warnings: [],
          }
        : await prepareConfig(file, this.#deps.env);

    if (!prepared.ok) {
      for (const problem of prepared.problems) log.error({ file, problem }, 'config reload: problem');
      log.error(
        { file, problems: prepared.problems.length },
        'config reload rejected; the running config stays',
      );
      const report: ConfigReloadView = {
        outcome: 'failure',
        file,
        added: [],
        changed: [],
        removed: [],
        problems: [...prepared.problems],
        warnings: [...prepared.warnings],
        restartRequired: [],
        sessionsEnded: 0,
      };
      try {
        audit.append({ ...event, ...auditFields(report) });
      } catch (err) {
        log.error({ err }, 'config reload: the rejection could not be journaled');
      }
      return report;
    }

    const loaded = prepared.config;
    const diff = diffConnections(before.connections, loaded.connections);
    const restart = restartRequired(before, loaded);
    // What cannot change without a restart keeps its running value, so everything that reads the
    // config (connect commands, role lists) describes the process as it really is.
    const config: AirlockConfig = {
      ...loaded,
      store: before.store,
      stateDir: before.stateDir,
      node: before.node,
      listen: before.listen,
      identity: before.identity,
      audit: before.audit,
      retention: before.retention,
      recordings: before.recordings,
    };
    const byName = new Map(config.connections.map((c) => [c.name, c]));
    // Why a live session on a changed or removed connection must end, if it must.
    const ending = (
      name: string,
      identity: Identity,
      opened: Connection,
      source = 'access',
    ): AirlockError | undefined => {
      const connection = byName.get(name);
      if (!connection) {
        return new AirlockError('ERR_SESSION_TERMINATED', `connection ${name} removed by config reload`, {
          userMessage: `the connection "${name}" was removed from Airlock's configuration`,
        });
      }
      // Only a session the access list admitted rests on it, and a delegate's through its root's
      // entry; grant-admitted sessions end with their grant (change feed), not with a reload.
      if (source.startsWith('access') && !matchesPrincipal(accessPrincipal(identity), connection.access)) {
        return new AirlockError('ERR_SESSION_TERMINATED', `${identity.subject} lost access to ${name}`, {
          userMessage: `"${identity.subject}" no longer has access to connection "${name}"`,
        });
      }
      // A session follows changed masking rules from its next statement, but one opened without any
      // relays responses unread: it cannot start masking midway, so it ends (fail closed).
      if (masks(connection) && !masks(opened)) {
        return new AirlockError('ERR_SESSION_TERMINATED', `masking rules added to ${name} by config reload`, {
          userMessage: `masking rules were added to connection "${name}"; reconnect to continue with them`,
        });
      }
      return undefined;
    };
    let report: ConfigReloadView = {
      outcome: 'success',
      file,
      ...diff,
      problems: [],
      warnings: [...prepared.warnings],
      restartRequired: restart,
      sessionsEnded: 0,
    };
    // Audit before the change takes effect: a config nobody can account for is never applied.
    // From here to the terminations everything is synchronous: no statement is decided in between.
    const touched = new Set([...diff.changed, ...diff.removed]);
    const toEnd = touched.size === 0 ? [] : this.#sessionsToEnd(touched, ending);
    report = { ...report, sessionsEnded: toEnd.length };
    try {
      audit.append({ ...event, ...auditFields(report) });
    } catch (thrown) {
      const err = toAirlockError(thrown, 'ERR_AUDIT_UNAVAILABLE');
      log.error({ err, file }, 'config reload not applied: the audit journal cannot be written');
      throw err;
    }
    this.#deps.apply(config, prepared.policy);
    for (const [live, err] of toEnd) live.terminate(err);
    if (config.logging.level !== log.level) log.level = config.logging.level;
    for (const warning of prepared.warnings) log.warn({ warning }, 'config warning');
    for (const key of restart) {
      log.warn(
        { key },
        `config reload: ${key} changed; restart airlock to apply it (the running value stays)`,
      );
    }
    log.info(
      { file, ...diff, sessionsEnded: toEnd.length, restartRequired: restart, trigger },
      'config reloaded',
    );
    return report;
  }

  /** Live sessions on `touched` connections that the new config no longer allows, with the reason. */
  #sessionsToEnd(
    touched: ReadonlySet<string>,
    ending: (
      name: string,
      identity: Identity,
      opened: Connection,
      source?: string,
    ) => AirlockError | undefined,
  ): [LiveSession, AirlockError][] {
    const found: [LiveSession, AirlockError][] = [];
    for (const live of this.#deps.gate.liveSessions()) {
      const name = live.session.connection.name;
      if (!touched.has(name)) continue;
      const err = ending(name, live.session.identity, live.session.connection, live.session.access?.source);
      if (err) found.push([live, err]);
    }
    return found;
  }
}

/** True when a connection masks responses (column rules or content detection). */
function masks(connection: Connection): boolean {
  const m = connection.masking;
  return m !== undefined && (m.columns.length > 0 || m.detect.length > 0);
}

function auditFields(report: ConfigReloadView) {
  return {
    outcome: report.outcome,
    added: report.added,
    changed: report.changed,
    removed: report.removed,
    problems: report.problems,
    restartRequired: report.restartRequired,
    sessionsEnded: report.sessionsEnded,
  };
}
