/**
 * @module What every command registration receives.
 */
import type { Command } from 'commander';
import type { GlobalFlags } from '../context.js';
import type { CliIo } from '../io.js';

/** Shared by every command file. */
export interface CommandContext {
  readonly io: CliIo;
  readonly state: { exit: number };
}

/** The global flags, read from any (sub)command. */
export function globals(command: Command): GlobalFlags {
  return command.optsWithGlobals() as GlobalFlags;
}
