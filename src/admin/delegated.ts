/**
 * @module What delegated tokens may do beyond the data path. A delegate (an agent or subagent a
 * person started, `airlock delegate`, an OIDC token with an `act` claim) and a scoped exchanged
 * token (a person's token narrowed to some connections) carry someone's rights only to narrow
 * them: they use connections, exchange for still narrower tokens, read their own sessions and
 * requests, wait on them and ask for just-in-time access. Everything that approves, grants,
 * reviews or administers needs a person with their own token, whatever that person's roles are,
 * so an agent can never lend itself the powers of the human behind it. The API enforces this for
 * every route (src/api/delegates.ts); the local CLI path with `--token` checks the same classes.
 */
import { AirlockError } from '../core/errors.js';
import type { Identity } from '../core/identity.js';

/** The operation classes refused to delegated tokens, each with what to do instead. */
export type DelegateRefusal =
  | 'approve'
  | 'break-glass'
  | 'grants'
  | 'reviews'
  | 'tokens'
  | 'config'
  | 'locks'
  | 'audit'
  | 'other';

const REFUSALS: Readonly<Record<DelegateRefusal, string>> = {
  approve:
    'delegated tokens cannot approve or deny requests; ask a human approver of the request (airlock approvals show ID names them) to decide it with their own token',
  'break-glass':
    'delegated tokens cannot use break-glass, which opens access for a person with their own token; ask for access instead: airlock request --connection C --scope read --reason TEXT',
  grants:
    'delegated tokens cannot manage grants; ask for access instead: airlock request --connection C --scope read --reason TEXT',
  reviews:
    'delegated tokens cannot take part in access reviews (campaigns, item decisions, suspensions); a human reviewer decides with their own token',
  tokens:
    'delegated tokens cannot create, list or revoke tokens; derive a narrower one with airlock delegate (POST /api/v1/token/exchange)',
  config: 'delegated tokens cannot reload the configuration; ask an admin',
  locks: 'delegated tokens cannot lock or end sessions; ask an admin',
  audit:
    'delegated tokens cannot search or verify the audit trail; ask an auditor (your own sessions: airlock sessions list)',
  other:
    'delegated tokens may only use connections, request access, exchange for narrower tokens and read their own sessions and requests; ask a person with their own token',
};

/**
 * True for tokens that carry someone's rights only to narrow them: any delegation chain, or a
 * scope anywhere in it. A person's unscoped exchanged login token (`airlock login`) is that
 * person and stays undelegated.
 */
export function isDelegated(identity: Identity): boolean {
  if (identity.chain.length > 0) return true;
  return identity.delegation?.scopes.some((list) => list.length > 0) ?? false;
}

/** How the refusal names the caller: whose delegate it is, or whose narrowed token. */
function describe(identity: Identity): string {
  if (identity.chain.length > 0) {
    return `"${identity.subject}" acts for ${identity.chain.map((a) => a.subject).join(' → ')}`;
  }
  return `this token is a scoped exchange of "${identity.subject}"`;
}

/** Throws ERR_DELEGATE_FORBIDDEN when `identity` is delegated: `what` is the refused class. */
export function refuseDelegated(identity: Identity, what: DelegateRefusal): void {
  if (!isDelegated(identity)) return;
  const userMessage = `${describe(identity)}: ${REFUSALS[what]}`;
  throw new AirlockError('ERR_DELEGATE_FORBIDDEN', `${identity.subject}: delegated token refused (${what})`, {
    userMessage,
  });
}
