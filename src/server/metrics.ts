/**
 * @module Prometheus metrics. Engines never call the metrics library: the gate publishes on the
 * `airlock.session` / `airlock.command` diagnostics channels and this module counts what it hears;
 * the review gate and masking publish on `airlock.approval` / `airlock.masking` (src/core/channels.ts).
 */
import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type ApprovalChannelMessage, CHANNEL_NAMES, type MaskingChannelMessage } from '../core/channels.js';
import type { CommandChannelMessage, SessionChannelMessage } from '../core/gate.js';

/** Numbers only other modules know, read at scrape time. */
export interface MetricSources {
  readonly journalFailures: () => number;
  /** Events journaled but not yet in the store. */
  readonly auditLag: () => number;
  /** Per audit export sink, stored events not yet delivered (src/export/). */
  readonly exportLag?: () => ReadonlyMap<string, number>;
  /** Per webhook export sink, events parked in its dead-letter file since start (src/export/). */
  readonly exportDeadLetters?: () => ReadonlyMap<string, number>;
  /** Audit retention since start: events deleted, node runs stopped at a bad event (src/retention/). */
  readonly retention?: () => {
    readonly deleted: number;
    readonly stopped: number;
    readonly recordingsDeleted: number;
    /** Runs by outcome and when the last one succeeded (epoch ms). */
    readonly runs?: { readonly success: number; readonly failure: number };
    readonly lastSuccessMs?: number;
  };
  /** Config reloads since start by outcome (src/server/reload.ts). */
  readonly configReloads?: () => { readonly success: number; readonly failure: number };
  /** Approver notifications by how they ended (src/notify/). */
  readonly notifications?: () => {
    readonly delivered: number;
    readonly failed: number;
    readonly dropped: number;
  };
}

/** A registry wired to the gate's channels; `dispose()` unsubscribes. */
export interface Metrics {
  readonly registry: Registry;
  render(): Promise<{ contentType: string; body: string }>;
  dispose(): void;
}

/** Creates the metrics and subscribes to the channels. */
export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  const sessionsOpen = new Gauge({
    name: 'airlock_sessions_open',
    help: 'Client sessions open now',
    labelNames: ['protocol'],
    registers: [registry],
  });
  const sessionsTotal = new Counter({
    name: 'airlock_sessions_total',
    help: 'Sessions started or refused',
    labelNames: ['protocol', 'outcome', 'code'],
    registers: [registry],
  });
  const statements = new Counter({
    name: 'airlock_statements_total',
    help: 'Commands decided, by decision outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'airlock_decisions_total',
    help: 'Commands decided, by decision outcome and the rule that decided',
    labelNames: ['outcome', 'rule'],
    registers: [registry],
  });
  const results = new Counter({
    name: 'airlock_statement_results_total',
    help: 'Forwarded commands by how they ended at the target',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const decisionSeconds = new Histogram({
    name: 'airlock_decision_seconds',
    help: 'Time to decide and journal one command',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  const relaySeconds = new Histogram({
    name: 'airlock_relay_seconds',
    help: 'Time from forwarding a command to its completion at the target',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'airlock_audit_journal_failures_total',
    help: 'Journal appends that failed (each refused its command)',
    registers: [registry],
    collect() {
      this.set(sources.journalFailures());
    },
  });
  new Gauge({
    name: 'airlock_audit_journal_lag_events',
    help: 'Events in the journal not yet stored',
    registers: [registry],
    collect() {
      this.set(sources.auditLag());
    },
  });
  new Gauge({
    name: 'airlock_audit_export_lag',
    help: 'Stored audit events not yet delivered to the export sink',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, lag] of sources.exportLag?.() ?? []) this.set({ sink }, lag);
    },
  });

  new Counter({
    name: 'airlock_export_dead_letter_total',
    help: 'Audit events parked in a sink’s dead-letter file after permanent refusals (they are missing from the sink)',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, events] of sources.exportDeadLetters?.() ?? []) this.inc({ sink }, events);
    },
  });
  new Counter({
    name: 'airlock_audit_retention_deleted_total',
    help: 'Audit events deleted by retention since start',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.retention?.().deleted ?? 0);
    },
  });
  new Counter({
    name: 'airlock_recordings_deleted_total',
    help: 'Session recordings deleted by retention since start',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.retention?.().recordingsDeleted ?? 0);
    },
  });
  new Counter({
    name: 'airlock_audit_retention_stopped_total',
    help: 'Retention runs of a node that stopped at an event that does not verify (tampering)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.retention?.().stopped ?? 0);
    },
  });

  new Counter({
    name: 'airlock_retention_runs_total',
    help: 'Retention runs (scheduled and on demand) by outcome; a failed run is retried at the next interval',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const runs = sources.retention?.().runs;
      if (!runs) return;
      this.inc({ outcome: 'success' }, runs.success);
      this.inc({ outcome: 'failure' }, runs.failure);
    },
  });
  new Gauge({
    name: 'airlock_retention_last_success_timestamp_seconds',
    help: 'When the last retention run succeeded (Unix seconds); no sample before the first',
    registers: [registry],
    collect() {
      this.reset();
      const last = sources.retention?.().lastSuccessMs;
      if (last !== undefined) this.set(last / 1000);
    },
  });
  new Counter({
    name: 'airlock_config_reloads_total',
    help: 'Config reloads (SIGHUP, API) by outcome; failure: the file was rejected and the running config stays',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const reloads = sources.configReloads?.();
      if (!reloads) return;
      this.inc({ outcome: 'success' }, reloads.success);
      this.inc({ outcome: 'failure' }, reloads.failure);
    },
  });

  new Gauge({
    name: 'airlock_notifications_total',
    help: 'Approver notifications since start, by outcome (failed: gave up after retries; dropped: queue full)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const stats = sources.notifications?.();
      if (!stats) return;
      this.set({ outcome: 'delivered' }, stats.delivered);
      this.set({ outcome: 'failed' }, stats.failed);
      this.set({ outcome: 'dropped' }, stats.dropped);
    },
  });

  // Fed by the review gate and masking through src/core/channels.ts.
  const held = new Gauge({
    name: 'airlock_held_requests',
    help: 'Statements waiting for a reviewer now',
    registers: [registry],
  });
  const approvalSeconds = new Histogram({
    name: 'airlock_approval_latency_seconds',
    help: 'Time a held statement waited for its answer (approved, denied, expired or cancelled)',
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
    registers: [registry],
  });
  const masked = new Counter({
    name: 'airlock_masked_values_total',
    help: 'Values masked in results, by entity',
    labelNames: ['entity'],
    registers: [registry],
  });

  const onSession = (message: unknown) => {
    const m = message as SessionChannelMessage;
    if (m.phase === 'open') {
      sessionsOpen.inc({ protocol: m.protocol });
      sessionsTotal.inc({ protocol: m.protocol, outcome: 'success', code: '' });
    } else if (m.phase === 'refused') {
      sessionsTotal.inc({ protocol: m.protocol, outcome: 'failure', code: m.code ?? '' });
    } else {
      sessionsOpen.dec({ protocol: m.protocol });
    }
  };
  const onCommand = (message: unknown) => {
    const m = message as CommandChannelMessage;
    if (m.phase === 'decision') {
      statements.inc({ outcome: m.outcome });
      decisions.inc({ outcome: m.outcome, rule: m.rule ?? '' });
      decisionSeconds.observe(m.durationMs / 1000);
    } else {
      results.inc({ outcome: m.outcome });
      relaySeconds.observe(m.durationMs / 1000);
    }
  };
  const onApproval = (message: unknown) => {
    const m = message as ApprovalChannelMessage;
    if (m.phase === 'held') held.inc();
    else {
      held.dec();
      approvalSeconds.observe(m.waitedMs / 1000);
    }
  };
  const onMasking = (message: unknown) => {
    const m = message as MaskingChannelMessage;
    if (m.values > 0) masked.inc({ entity: m.entity }, m.values);
  };
  diagnostics.subscribe('airlock.session', onSession);
  diagnostics.subscribe('airlock.command', onCommand);
  diagnostics.subscribe(CHANNEL_NAMES.approval, onApproval);
  diagnostics.subscribe(CHANNEL_NAMES.masking, onMasking);

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    dispose() {
      diagnostics.unsubscribe('airlock.session', onSession);
      diagnostics.unsubscribe('airlock.command', onCommand);
      diagnostics.unsubscribe(CHANNEL_NAMES.approval, onApproval);
      diagnostics.unsubscribe(CHANNEL_NAMES.masking, onMasking);
    },
  };
}
