import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcStatCpuUs, processCpuUs } from './proc-cpu.js';

test('utime + stime in µs, with a command name holding spaces and parentheses', () => {
  // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const stat = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 9000';
  assert.equal(parseProcStatCpuUs(stat, 100), 3_000_000);
  assert.equal(parseProcStatCpuUs(stat, 1000), 300_000);
});

test('garbage is rejected', () => {
  assert.throws(() => parseProcStatCpuUs('nonsense', 100), /not a \/proc/);
  assert.throws(() => parseProcStatCpuUs('1 (x) S 1', 100), /no utime/);
});

test('reads this process and grows with work', () => {
  const before = processCpuUs(process.pid);
  assert.ok(before !== undefined && before >= 0);
  const until = Date.now() + 60;
  while (Date.now() < until) Math.sqrt(Math.random());
  const after = processCpuUs(process.pid)!;
  assert.ok(after >= before);
  assert.equal(processCpuUs(2 ** 22 + 12345), undefined);
});
