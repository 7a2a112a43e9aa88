/**
 * @module `airlock policy test`: how a connection's guardrails decide a statement, without connecting
 * anywhere — the decision, the rule and the statement facts the policy saw.
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type { Identity, IdentityKind } from '../../core/identity.js';
import { PolicyEngine } from '../../policy/index.js';
import { classifySql, initClassifier } from '../../protocols/postgres/classify/index.js';
import { loadCliConfig } from '../context.js';
import { printJson, say } from '../io.js';
import { type CommandContext, globals } from './context.js';

interface PolicyTestFlags {
  connection: string;
  sql: string;
  identity: string;
  group: string[];
  kind: string;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers the policy commands. */
export function policyCommands(program: Command, { io, state }: CommandContext): void {
  const policy = program.command('policy').description('statement guardrails');
  policy
    .command('test')
    .description('decide a statement as the connection’s guardrails would, without connecting')
    .requiredOption('--connection <name>', 'connection whose guardrails decide')
    .requiredOption('--sql <text>', 'the statement(s)')
    .option('--identity <subject>', 'caller subject', 'policy-test')
    .option('--group <group>', 'caller group (repeatable)', collect, [])
    .option('--kind <kind>', 'agent | human | service', 'agent')
    .option('--json', 'JSON object')
    .action(async (opts: PolicyTestFlags, cmd: Command) => {
      const config = await loadCliConfig(globals(cmd), io);
      const connection = config.connections.find((c) => c.name === opts.connection);
      if (!connection) {
        throw new AirlockError('ERR_CONNECTION_UNKNOWN', `no connection ${opts.connection}`, {
          userMessage: `there is no connection named "${opts.connection}"`,
        });
      }
      await initClassifier();
      const classified = classifySql(opts.sql);
      const identity: Identity = {
        subject: opts.identity,
        displayName: opts.identity,
        kind: opts.kind as IdentityKind,
        groups: opts.group,
        issuer: 'policy-test',
        tokenId: undefined,
        expiresAt: undefined,
        chain: [],
      };
      const engine = new PolicyEngine({ connections: config.connections });
      const decision = engine.decide(
        identity,
        connection,
        classified.ok ? classified.statements : { unparsed: classified.reason },
      );
      const statements = classified.ok ? classified.statements : [];
      if (opts.json) {
        printJson(io, { decision, statements, ...(classified.ok ? {} : { unparsed: classified.reason }) });
      } else {
        say(io, `decision: ${decision.outcome}`);
        say(io, `rule: ${decision.rule}`);
        if (decision.outcome !== 'allow')
          say(io, `client sees: blocked by airlock: ${decision.rule}: ${decision.reason}`);
        if (!classified.ok) say(io, `unparsed: ${classified.reason}`);
        statements.forEach((s, i) => {
          say(io, `statement ${i + 1}: ${s.action} ${s.objects.join(', ')}`);
          for (const [name, value] of Object.entries(s.facts)) {
            if (value === false || (Array.isArray(value) && value.length === 0)) continue;
            say(io, `  ${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
          }
        });
      }
      // Scripts can branch on the decision: 0 allow, 1 review, 6 deny.
      state.exit = decision.outcome === 'allow' ? 0 : decision.outcome === 'review' ? 1 : 6;
    });
}
