import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readNotifications } from './notifications.js';
import { Findings } from './problems.js';

const context = {
  baseDir: '/etc/airlock',
  env: { HOOK_SECRET: 's3cret', SLACK_URL: 'https://hooks.slack.com/x' },
};

function read(value: unknown) {
  const findings = new Findings();
  const targets = readNotifications(findings, value, context);
  return { targets, problems: findings.problems, warnings: findings.warnings };
}

describe('notifications config', () => {
  test('webhook and Slack targets, with defaults, secrets by reference and groups', () => {
    const { targets, problems, warnings } = read([
      { name: 'hook', type: 'webhook', url: 'https://hooks.example/airlock', secret: { env: 'HOOK_SECRET' } },
      { name: 'slack-dba', type: 'slack', url: { env: 'SLACK_URL' }, groups: ['group:dba'], timeout: '2s' },
      { name: 'local', type: 'webhook', url: 'http://127.0.0.1:9000/x', secret: { file: 'hook.key' } },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(targets, [
      {
        name: 'hook',
        type: 'webhook',
        url: { value: 'https://hooks.example/airlock' },
        secret: { env: 'HOOK_SECRET' },
        timeoutMs: 5000,
      },
      { name: 'slack-dba', type: 'slack', url: { env: 'SLACK_URL' }, groups: ['group:dba'], timeoutMs: 2000 },
      {
        name: 'local',
        type: 'webhook',
        url: { value: 'http://127.0.0.1:9000/x' },
        secret: { file: '/etc/airlock/hook.key' },
        timeoutMs: 5000,
      },
    ]);
  });

  test('absent is none; every problem names its key path', () => {
    assert.deepEqual(read(undefined).targets, []);
    const { targets, problems, warnings } = read([
      { name: 'a', type: 'webhook', url: 'https://x.example' },
      { name: 'a', type: 'slack', url: 'https://x.example', groups: [] },
      { name: 'c', type: 'email', url: 'https://x.example' },
      { name: 'd', type: 'slack', url: 'ftp://x.example', color: 'red' },
      { name: 'e', type: 'slack', url: 'http://chat.example/hook', groups: ['dba'] },
    ]);
    assert.deepEqual(targets, []);
    assert.deepEqual(problems, [
      'notifications[0].secret: required key is missing (expected {env: NAME} or {file: PATH})',
      'notifications[1].groups: an empty list serves nobody; leave the key out to serve every request',
      'notifications[2].type: expected "webhook" or "slack", received "email"',
      'unknown key "color" in notifications[3]; known keys: name, type, url, secret, groups, timeout',
      'notifications[3].url: expected an http:// or https:// URL, received a string',
      'notifications[4].groups[0]: expected "group:NAME" or "user:SUBJECT", received "dba"',
    ]);
    assert.deepEqual(warnings, [
      'notifications[4].url: approval requests would travel unencrypted; use https://',
    ]);
  });

  test('a literal secret warns; an unset variable warns (checked again at delivery)', () => {
    const { targets, warnings } = read([
      { name: 'a', type: 'webhook', url: 'https://x.example', secret: 'inline' },
      { name: 'b', type: 'webhook', url: 'https://x.example', secret: { env: 'NOPE' } },
    ]);
    assert.equal(targets.length, 2);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /literal secret/);
    assert.match(warnings[1]!, /NOPE is not set/);
  });
});
