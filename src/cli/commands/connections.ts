/**
 * @module `airlock connections list`: the connections the caller may use and how to connect.
 */
import type { Command } from 'commander';
import { withAdmin } from '../context.js';
import { printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';

/** Registers the connection commands. */
export function connectionCommands(program: Command, { io }: CommandContext): void {
  const connections = program.command('connections').description('connections you may use');
  connections
    .command('list')
    .description('list connections with the exact command to connect')
    .option('--json', 'JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await withAdmin(globals(cmd), io, (admin) => admin.listConnections());
      if (opts.json) return printJson(io, list);
      printTable(io, list, [
        { header: 'NAME', value: (c) => c.name },
        { header: 'TYPE', value: (c) => c.type },
        {
          header: 'TAGS',
          value: (c) =>
            Object.entries(c.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
        },
        { header: 'ACCESS', value: (c) => c.access?.join(',') },
      ]);
      for (const c of list) {
        say(io);
        say(io, `# ${c.name}`);
        say(io, c.connect);
      }
    });
}
