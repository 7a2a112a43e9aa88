#!/usr/bin/env node
/**
 * @module The `airlock` binary.
 */
import { run } from './run.js';

const status = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = status;
