/**
 * @module Prometheus metrics. Engines never call the metrics library: the gate publishes on the
 * `airlock.session` / `airlock.command` diagnostics channels and this module counts what it hears.
 */
import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandChannelMessage, SessionChannelMessage } from '../core/gate.js';

/** Numbers only other modules know, read at scrape time. */
export interface MetricSources {
  readonly journalFailures: () => number;
  /** Events journaled but not yet in the store. */
  readonly auditLag: () => number;
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
      decisionSeconds.observe(m.durationMs / 1000);
    } else {
      results.inc({ outcome: m.outcome });
      relaySeconds.observe(m.durationMs / 1000);
    }
  };
  diagnostics.subscribe('airlock.session', onSession);
  diagnostics.subscribe('airlock.command', onCommand);

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    dispose() {
      diagnostics.unsubscribe('airlock.session', onSession);
      diagnostics.unsubscribe('airlock.command', onCommand);
    },
  };
}
