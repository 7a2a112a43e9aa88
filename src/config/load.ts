/**
 * @module Finding and loading the config file. Every command finds its config the same way
 * (`--config FILE`, else `AIRLOCK_CONFIG`, else `./airlock.yaml`), and `serve` refuses to start
 * on any problem, listing them all.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AirlockConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { type ConfigCheck, parseConfig } from './validate.js';

export { type ConfigCheck, type ParseOptions, parseConfig } from './validate.js';

/** The config file to use, as an absolute path: `--config`, else `AIRLOCK_CONFIG`, else `./airlock.yaml`. */
export function findConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const chosen = flag || env.AIRLOCK_CONFIG || 'airlock.yaml';
  return resolve(cwd, chosen);
}

/** Reads and validates `file` without starting anything (`airlock config check`). */
export async function checkConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<ConfigCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { problems: [`cannot read config file ${file} (${reason})`], warnings: [] };
  }
  return parseConfig(text, { file, env });
}

/**
 * Loads `file` for a command that will use it. Throws `ERR_CONFIG_INVALID` whose detail lists every
 * problem, one a line.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv): Promise<AirlockConfig> {
  const { config, problems } = await checkConfigFile(file, env);
  if (config !== undefined && problems.length === 0) return config;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new AirlockError(
    'ERR_CONFIG_INVALID',
    `config file ${file} has ${count}:\n  ${problems.join('\n  ')}`,
    {
      detail: problems.join('\n'),
    },
  );
}
