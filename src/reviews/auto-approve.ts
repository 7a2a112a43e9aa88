/**
 * @module Auto-approve rules (`reviews.autoApprove: [file.cedar]`): a request the connection's
 * Cedar files permit is approved at once, by reviewer `policy:<file name>`. Evaluated with the
 * policy engine's own pieces (the same entity model and preparsed sets, src/policy/): principal =
 * the requester with its chain, resource = the connection with its tags, action = the statement's
 * action for a command request, else the scope as `Airlock::Action::"scope.read"` (`scope.write`,
 * `scope.admin`; a comma-list scope asks for each of its actions). Context: `kind` (`review`,
 * `access`, `command`). There is no default permit: only what a file permits is approved, and a
 * forbid in any file wins. A file that cannot be read or parsed approves nothing (fail closed).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { Connection } from '../core/connection.js';
import type { Identity } from '../core/identity.js';
import { actionEntity, principalEntity, resourceEntity } from '../policy/entities.js';
import { buildPolicySet, type CompiledPolicySet } from '../policy/policy-set.js';
import type { RequestKind } from './types.js';

/** What is asked. */
export interface AutoApproveQuestion {
  readonly kind: RequestKind;
  readonly requester: Identity;
  readonly connection: Connection;
  /** `read`, `write`, `admin` or a comma list of actions. */
  readonly scope?: string;
  /** A command request's statement action. */
  readonly action?: string;
}

/** The Cedar actions a request stands for. */
export function questionActions(q: Pick<AutoApproveQuestion, 'scope' | 'action'>): string[] {
  if (q.action) return [q.action];
  const scope = q.scope ?? 'admin';
  if (scope === 'read' || scope === 'write' || scope === 'admin') return [`scope.${scope}`];
  return scope
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

/** Evaluates `autoApprove` files; compiled sets are kept per file set and content. */
export class AutoApprover {
  readonly #sets = new Map<string, CompiledPolicySet>();
  readonly #warn: (message: string) => void;
  readonly #readFile: (path: string) => string;

  constructor(options: { warn?: (message: string) => void; readFile?: (path: string) => string } = {}) {
    this.#warn = options.warn ?? (() => {});
    this.#readFile = options.readFile ?? ((path) => readFileSync(path, 'utf8'));
  }

  /** `policy:<file name>` when the connection's files permit the request, else undefined. */
  reviewer(q: AutoApproveQuestion): string | undefined {
    const files = q.connection.reviews?.autoApprove;
    if (!files || files.length === 0) return undefined;
    const set = this.#compile(q.connection.name, files);
    if (!set) return undefined;
    const principal = principalEntity(q.requester);
    const resource = resourceEntity(q.connection);
    let reviewer: string | undefined;
    for (const action of questionActions(q)) {
      const actionJson = actionEntity(action);
      const answer = statefulIsAuthorized({
        principal: principal.uid,
        action: actionJson.uid,
        resource: resource.uid,
        context: { kind: q.kind },
        preparsedPolicySetId: set.id,
        entities: [principal, actionJson, resource],
      });
      if (answer.type === 'failure') {
        this.#warn(`autoApprove on ${q.connection.name}: ${answer.errors.map((e) => e.message).join('; ')}`);
        return undefined;
      }
      // A permit whose condition errored is not in `reason`: it did not permit.
      if (answer.response.decision !== 'allow') return undefined;
      const permit = answer.response.diagnostics.reason.map((id) => set.rules.get(id)).find(Boolean);
      reviewer ??= permit ? `policy:${basename(permit.origin)}` : undefined;
    }
    return reviewer;
  }

  #compile(connection: string, files: readonly string[]): CompiledPolicySet | undefined {
    const sources = [];
    for (const path of files) {
      try {
        sources.push({ origin: path, label: basename(path), text: this.#readFile(path) });
      } catch (err) {
        this.#warn(`autoApprove on ${connection}: cannot read ${path}: ${(err as Error).message}`);
        return undefined;
      }
    }
    const key = JSON.stringify(sources);
    const cached = this.#sets.get(key);
    if (cached) return cached;
    const built = buildPolicySet(sources);
    if (!built.set) {
      this.#warn(`autoApprove on ${connection}: ${built.problems.join('; ')}`);
      return undefined;
    }
    // One entry per distinct content: edits add entries, so keep the map from growing unbounded.
    if (this.#sets.size > 100) this.#sets.clear();
    this.#sets.set(key, built.set);
    return built.set;
  }
}
