/**
 * docs/audit-events.md against the audit event union in events.ts. The field lists below are typed
 * so that this file stops type-checking when the union changes: a new event type, a new or renamed
 * field, or a removed one is a compile error here until the list (and then the doc) follows.
 * The test then checks the doc section by section: one `### \`type\`` heading per event type, a
 * table listing exactly that event's fields, and JSON examples that are real sealed records of
 * the current schema version (their hashes verify).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Actor, IdentityRef } from '../core/identity.js';
import type { ClientInfo } from '../core/session.js';
import { checkRecordHash } from './chain.js';
import {
  AUDIT_SCHEMA_VERSION,
  type AuditError,
  type AuditEventBody,
  type AuditEventType,
  type AuditRecord,
  type RetentionNodeResult,
} from './events.js';

const DOC_PATH = new URL('../../docs/audit-events.md', import.meta.url);

/** Every key of `T` exactly once: a missing key or one `T` does not have fails type-checking. */
type KeySet<T> = { readonly [K in keyof T]-?: true };

type EventOf<K extends AuditEventType> = Extract<AuditEventBody, { type: K }>;

/** The fields the journal adds when it seals a body. */
type Envelope = Pick<AuditRecord, Exclude<keyof AuditRecord, keyof AuditEventBody>>;

const eventFields = {
  'session.start': {
    type: true,
    sessionId: true,
    identity: true,
    connection: true,
    protocol: true,
    client: true,
    reason: true,
    outcome: true,
    error: true,
  },
  'session.end': {
    type: true,
    sessionId: true,
    identity: true,
    connection: true,
    protocol: true,
    durationMs: true,
    bytesFromClient: true,
    bytesToClient: true,
    statements: true,
    outcome: true,
    error: true,
  },
  command: {
    type: true,
    sessionId: true,
    identity: true,
    connection: true,
    protocol: true,
    commandId: true,
    channel: true,
    text: true,
    parameters: true,
    action: true,
    objects: true,
    decision: true,
    rule: true,
    approval: true,
    approvedBy: true,
    error: true,
  },
  'command.result': {
    type: true,
    sessionId: true,
    identity: true,
    connection: true,
    protocol: true,
    commandId: true,
    outcome: true,
    rows: true,
    durationMs: true,
    error: true,
    masked: true,
  },
  'token.created': { type: true, actor: true, name: true, kind: true, groups: true, expiresAt: true },
  'grant.created': {
    type: true,
    actor: true,
    grantId: true,
    connection: true,
    principal: true,
    scope: true,
    reason: true,
    source: true,
    expiresAt: true,
    request: true,
  },
  'grant.revoked': {
    type: true,
    actor: true,
    grantId: true,
    connection: true,
    principal: true,
    reason: true,
  },
  'grant.narrowed': {
    type: true,
    actor: true,
    grantId: true,
    connection: true,
    principal: true,
    scope: true,
    previousScope: true,
    reason: true,
  },
  'access.suspended': {
    type: true,
    actor: true,
    connection: true,
    subject: true,
    entry: true,
    reason: true,
    campaign: true,
  },
  'access.restored': { type: true, actor: true, connection: true, subject: true, reason: true },
  'campaign.created': {
    type: true,
    actor: true,
    campaign: true,
    connections: true,
    reviewers: true,
    dueAt: true,
    items: true,
  },
  'campaign.decided': {
    type: true,
    actor: true,
    campaign: true,
    item: true,
    connection: true,
    subject: true,
    entry: true,
    decision: true,
    scope: true,
    reason: true,
  },
  'approval.requested': {
    type: true,
    request: true,
    kind: true,
    actor: true,
    connection: true,
    scope: true,
    action: true,
    paramsHash: true,
    reason: true,
    sessionId: true,
    approvers: true,
  },
  'approval.decided': {
    type: true,
    request: true,
    connection: true,
    actor: true,
    decision: true,
    status: true,
    reason: true,
    windowMs: true,
  },
  'certification.recorded': {
    type: true,
    actor: true,
    rootSubject: true,
    connection: true,
    scope: true,
    reviewers: true,
    request: true,
    sessionId: true,
    validUntil: true,
  },
  'break-glass': {
    type: true,
    actor: true,
    connection: true,
    reason: true,
    outcome: true,
    error: true,
    grantId: true,
    scope: true,
    expiresAt: true,
    request: true,
  },
  'token.revoked': { type: true, actor: true, name: true, cascadedFrom: true, reason: true },
  'token.delegated': {
    type: true,
    actor: true,
    name: true,
    kind: true,
    parent: true,
    rootSubject: true,
    chain: true,
    depth: true,
    scope: true,
    expiresAt: true,
  },
  'lock.created': {
    type: true,
    actor: true,
    lockId: true,
    targetKind: true,
    target: true,
    reason: true,
    expiresAt: true,
  },
  'lock.removed': { type: true, actor: true, lockId: true, targetKind: true, target: true },
  'session.terminated': { type: true, actor: true, sessionId: true, reason: true },
  'config.reload': {
    type: true,
    actor: true,
    trigger: true,
    file: true,
    outcome: true,
    added: true,
    changed: true,
    removed: true,
    problems: true,
    restartRequired: true,
    sessionsEnded: true,
  },
  'retention.run': {
    type: true,
    actor: true,
    cutoff: true,
    period: true,
    deleted: true,
    sessions: true,
    nodes: true,
  },
  'export.dead-letter': {
    type: true,
    actor: true,
    sink: true,
    sourceNode: true,
    fromSeq: true,
    toSeq: true,
    events: true,
    status: true,
    attempts: true,
    error: true,
    file: true,
  },
  'retention.recordings': {
    type: true,
    actor: true,
    cutoff: true,
    period: true,
    deleted: true,
    bytes: true,
    failed: true,
  },
} satisfies { readonly [K in AuditEventType]: KeySet<EventOf<K>> };

/** Shapes that events nest, and the envelope, each documented in its own `###` section. */
const shapeFields = {
  Envelope: {
    v: true,
    node: true,
    seq: true,
    time: true,
    prevHash: true,
    hash: true,
  } satisfies KeySet<Envelope>,
  IdentityRef: {
    subject: true,
    kind: true,
    groups: true,
    issuer: true,
    chain: true,
  } satisfies KeySet<IdentityRef>,
  Actor: { subject: true, kind: true } satisfies KeySet<Actor>,
  ClientInfo: { address: true, port: true, tls: true, application: true } satisfies KeySet<ClientInfo>,
  AuditError: { code: true, message: true } satisfies KeySet<AuditError>,
  RetentionNodeResult: {
    node: true,
    deleted: true,
    throughSeq: true,
    heldBy: true,
    problem: true,
    stoppedAt: true,
  } satisfies KeySet<RetentionNodeResult>,
};

/** One `###` section of the doc: its heading text and the lines up to the next heading. */
interface Section {
  readonly heading: string;
  /** The enclosing `##` heading. */
  readonly parent: string;
  readonly lines: readonly string[];
}

function sections(markdown: string): Section[] {
  const out: { heading: string; parent: string; lines: string[] }[] = [];
  let parent = '';
  let current: { heading: string; parent: string; lines: string[] } | undefined;
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      const text = heading[2]!;
      current = undefined;
      if (level <= 2) parent = text;
      if (level === 3) {
        current = { heading: text, parent, lines: [] };
        out.push(current);
      }
      continue;
    }
    current?.lines.push(line);
  }
  return out;
}

/** The first cell of every body row of the section's tables, without backticks. */
function tableFields(section: Section): string[] {
  const fields: string[] = [];
  let rowInTable = 0;
  for (const line of section.lines) {
    if (!line.startsWith('|')) {
      rowInTable = 0;
      continue;
    }
    rowInTable++;
    // Row 1 is the header, row 2 the |---| separator.
    if (rowInTable <= 2) continue;
    const cell = line.split('|')[1]?.trim().replaceAll('`', '') ?? '';
    if (cell) fields.push(cell);
  }
  return fields;
}

/** The bodies of the section's ```json blocks. */
function jsonExamples(section: Section): string[] {
  const blocks: string[] = [];
  let block: string[] | undefined;
  for (const line of section.lines) {
    if (block) {
      if (line.startsWith('```')) {
        blocks.push(block.join('\n'));
        block = undefined;
      } else {
        block.push(line);
      }
    } else if (line.trim() === '```json') {
      block = [];
    }
  }
  return blocks;
}

function compareFields(where: string, documented: readonly string[], expected: readonly string[]): string[] {
  const problems: string[] = [];
  for (const field of expected) {
    if (!documented.includes(field)) problems.push(`${where}: field ${field} is not in the table`);
  }
  for (const field of documented) {
    if (!expected.includes(field))
      problems.push(`${where}: table lists ${field}, which the type does not have`);
  }
  const seen = new Set<string>();
  for (const field of documented) {
    if (seen.has(field)) problems.push(`${where}: table lists ${field} twice`);
    seen.add(field);
  }
  return problems;
}

function checkExample(type: AuditEventType, json: string, index: number): string[] {
  const where = `example ${index + 1} of ${type}`;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    return [`${where}: not JSON (${(err as Error).message})`];
  }
  const problems: string[] = [];
  if (record.type !== type) problems.push(`${where}: type is ${String(record.type)}`);
  if (record.v !== AUDIT_SCHEMA_VERSION) problems.push(`${where}: v is ${String(record.v)}`);
  const allowed = [...Object.keys(eventFields[type]), ...Object.keys(shapeFields.Envelope)];
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) problems.push(`${where}: ${key} is not a field of ${type}`);
  }
  for (const key of Object.keys(shapeFields.Envelope)) {
    if (!(key in record)) problems.push(`${where}: envelope field ${key} is missing`);
  }
  const hashProblem = checkRecordHash(record);
  if (hashProblem) problems.push(`${where}: ${hashProblem} (regenerate it with sealEvent from chain.ts)`);
  return problems;
}

/** Everything the doc gets wrong about the schema; empty when it agrees. */
function checkDoc(markdown: string): string[] {
  const problems: string[] = [];
  const version = /Schema version: \*\*(\d+)\*\*/.exec(markdown)?.[1];
  if (Number(version) !== AUDIT_SCHEMA_VERSION) {
    problems.push(`the doc states schema version ${version}, events.ts has ${AUDIT_SCHEMA_VERSION}`);
  }
  const all = sections(markdown);
  const eventSections = all.filter((s) => s.parent === 'Events');
  const types = Object.keys(eventFields) as AuditEventType[];
  for (const section of eventSections) {
    const name = /^`([^`]+)`$/.exec(section.heading)?.[1];
    if (!name || !types.includes(name as AuditEventType)) {
      problems.push(`section "### ${section.heading}" under Events is not an event type of the union`);
    }
  }
  for (const type of types) {
    const matching = eventSections.filter((s) => s.heading === `\`${type}\``);
    const section = matching[0];
    if (!section) {
      problems.push(`no section "### \`${type}\`" under "## Events"`);
      continue;
    }
    if (matching.length > 1) problems.push(`${matching.length} sections for ${type}`);
    problems.push(...compareFields(type, tableFields(section), Object.keys(eventFields[type])));
    const examples = jsonExamples(section);
    if (examples.length === 0) problems.push(`${type}: no \`\`\`json example`);
    examples.forEach((json, i) => {
      problems.push(...checkExample(type, json, i));
    });
  }
  for (const [shape, fields] of Object.entries(shapeFields)) {
    const section = all.find((s) => s.heading.replaceAll('`', '') === shape);
    if (!section) problems.push(`no section "### ${shape}"`);
    else problems.push(...compareFields(shape, tableFields(section), Object.keys(fields)));
  }
  return problems;
}

const doc = readFileSync(DOC_PATH, 'utf8');

test('docs/audit-events.md documents every event type, every field and the schema version', () => {
  assert.deepEqual(checkDoc(doc), []);
});

test('the check notices a missing field, an unknown event section and a tampered example', () => {
  const withoutRows = doc.replace(/^\| `commandId` .*\n/m, '').replace(/^\| `expiresAt` .*\n/m, '');
  assert.notEqual(withoutRows, doc, 'the doc has commandId and expiresAt rows to remove');
  const missing = checkDoc(withoutRows);
  assert.ok(missing.includes('command: field commandId is not in the table'), missing.join('\n'));
  assert.ok(missing.includes('token.created: field expiresAt is not in the table'), missing.join('\n'));

  const stale = doc.replace('## Events\n', '## Events\n\n### `grant.renamed`\n\n| field |\n|---|\n| `x` |\n');
  assert.ok(
    checkDoc(stale).some((p) => p.includes('grant.renamed') && p.includes('not an event type')),
    'an event section without a type in the union is reported',
  );

  const tampered = doc.replace('"statements": 7', '"statements": 6');
  assert.notEqual(tampered, doc, 'the session.end example says "statements": 7');
  assert.ok(checkDoc(tampered).some((p) => p.includes('session.end') && p.includes('hash mismatch')));
});
