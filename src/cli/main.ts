#!/usr/bin/env node
/**
 * @module The `airlock` binary.
 */
// First: V8 flags must be set before any WebAssembly module is compiled.
import './node-flags.js';
import { run } from './run.js';

const status = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = status;
