import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConfig } from './validate.js';

const FILE = '/etc/airlock/airlock.yaml';
const existing = new Set([
  '/etc/airlock/certs/server.crt',
  '/etc/airlock/certs/server.key',
  '/etc/airlock/ca.pem',
]);
const options = {
  file: FILE,
  env: { APPDB_PASSWORD: 'env-secret' },
  hostname: 'gw-1',
  fileExists: (path: string) => existing.has(path),
};

const FULL = `
store: sqlite:./data/airlock.db
node: gw-a
listen:
  api: 0.0.0.0:8009
  postgres: "[::1]:15432"
  tls: { cert: certs/server.crt, key: /etc/airlock/certs/server.key }
admins: [group:platform]
auditors: [group:security, user:corp:alice]
identity:
  oidc:
    - { name: corp, issuer: https://idp.example, audience: airlock, groupsClaim: roles,
        subjectClaim: email, kind: human }
    - { name: ci, issuer: https://ci.example/, audience: airlock-ci, kindClaim: airlock_kind }
connections:
  - name: appdb
    type: postgres
    host: 127.0.0.1
    port: 5433
    database: app
    user: app
    password: { env: APPDB_PASSWORD }
    tls: { mode: verify-full, ca: ca.pem }
    tags: { env: prod, tier: 1 }
    access: [group:agents, user:corp:bob]
  - name: reports.v2
    type: postgres
    host: db.internal
    database: reports
    user: reader
    password: { file: secrets/reports.pw }
logging: { level: debug }
retention: { audit: 400d, recordings: 90d }
notifications: [{ name: slack-dba, type: slack, url: https://hooks.example/services/x, groups: [group:dba] }]
`;

describe('parseConfig', () => {
  test('a full config becomes an AirlockConfig with paths resolved and defaults filled', () => {
    const { config, problems, warnings } = parseConfig(FULL, options);
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.file, FILE);
    assert.equal(config.store, 'sqlite:/etc/airlock/data/airlock.db');
    assert.equal(config.stateDir, '/etc/airlock/data');
    assert.equal(config.node, 'gw-a');
    assert.deepEqual(config.listen, {
      api: { host: '0.0.0.0', port: 8009 },
      postgres: { host: '::1', port: 15432 },
      tls: { cert: '/etc/airlock/certs/server.crt', key: '/etc/airlock/certs/server.key' },
    });
    assert.deepEqual(config.admins, ['group:platform']);
    assert.deepEqual(config.auditors, ['group:security', 'user:corp:alice']);
    assert.deepEqual(config.identity.oidc, [
      {
        name: 'corp',
        issuer: 'https://idp.example',
        audience: 'airlock',
        groupsClaim: 'roles',
        subjectClaim: 'email',
        kind: 'human',
      },
      {
        name: 'ci',
        issuer: 'https://ci.example/',
        audience: 'airlock-ci',
        groupsClaim: 'groups',
        subjectClaim: 'sub',
        kind: 'human',
        kindClaim: 'airlock_kind',
      },
    ]);
    assert.deepEqual(config.connections[0], {
      name: 'appdb',
      type: 'postgres',
      host: '127.0.0.1',
      port: 5433,
      database: 'app',
      user: 'app',
      password: { env: 'APPDB_PASSWORD' },
      tls: { mode: 'verify-full', ca: '/etc/airlock/ca.pem' },
      tags: { env: 'prod', tier: '1' },
      access: ['group:agents', 'user:corp:bob'],
    });
    assert.deepEqual(config.connections[1], {
      name: 'reports.v2',
      type: 'postgres',
      host: 'db.internal',
      port: 5432,
      database: 'reports',
      user: 'reader',
      password: { file: '/etc/airlock/secrets/reports.pw' },
      tls: { mode: 'disable' },
      tags: {},
      access: [],
    });
    assert.equal(config.logging.level, 'debug');
    assert.deepEqual(config.notifications, [
      {
        name: 'slack-dba',
        type: 'slack',
        url: { value: 'https://hooks.example/services/x' },
        groups: ['group:dba'],
        timeoutMs: 5000,
      },
    ]);
    // The password file is absent in this fake file system: a warning, not a problem.
    assert.deepEqual(warnings, [
      'connections[1].password: password file /etc/airlock/secrets/reports.pw does not exist',
    ]);
    assert.deepEqual(config.warnings, warnings);
  });

  test('an empty file is a valid config made of defaults', () => {
    const { config, problems } = parseConfig('', options);
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.store, 'sqlite:/etc/airlock/airlock.db');
    assert.equal(config.stateDir, '/etc/airlock');
    assert.equal(config.node, 'gw-1');
    assert.deepEqual(config.listen, { api: { host: '127.0.0.1', port: 8009 } });
    assert.deepEqual(config.admins, []);
    assert.deepEqual(config.identity, { oidc: [], maxDelegationDepth: 3 });
    assert.deepEqual(config.connections, []);
    assert.deepEqual(config.logging, { level: 'info' });
  });

  test('postgres stores are kept and the state folder defaults to .airlock beside the config', () => {
    const { config } = parseConfig('store: postgres://airlock:pw@db:5432/airlock\n', options);
    assert.equal(config?.store, 'postgres://airlock:pw@db:5432/airlock');
    assert.equal(config?.stateDir, '/etc/airlock/.airlock');
  });

  test('stateDir and absolute sqlite paths resolve as written', () => {
    const { config } = parseConfig('store: sqlite:/var/lib/airlock/a.db\nstateDir: state\n', options);
    assert.equal(config?.store, 'sqlite:/var/lib/airlock/a.db');
    assert.equal(config?.stateDir, '/etc/airlock/state');
  });

  test('built-in configs without a file resolve against baseDir', () => {
    const { config } = parseConfig('store: sqlite:x.db\n', { ...options, file: '', baseDir: '/tmp/demo' });
    assert.equal(config?.file, '');
    assert.equal(config?.store, `sqlite:${join('/tmp/demo', 'x.db')}`);
  });

  test('every problem in one file is listed, each naming its key and expected vs received', () => {
    const text = `
conections: []
store: mysql://root:hunter2@db/airlock
listen:
  api: 8009
  postgres: localhost
  tls: { cert: missing.crt }
admins: [platform, group:ok]
auditors: group:security
identity:
  oidc:
    - { name: Corp, issuer: "not a url", audience: airlock, kind: robot, groupClaims: g }
    - { name: ok, issuer: https://a.example, audience: a }
    - { name: ok, issuer: https://b.example, audience: b }
connections:
  - { name: appdb, type: postgres, host: h, port: abc, database: d, user: u, password: { env: A } }
  - { name: appdb, type: postgres, host: h, database: d, user: u, password: { env: A } }
  - { name: -bad, type: mysql, database: d, user: u, password: 12345, tls: { mode: strict } }
  - { name: x, type: postgres, host: h, database: d, user: u, password: { vault: kv/x } }
logging: { level: loud }
`;
    const { config, problems } = parseConfig(text, options);
    assert.equal(config, undefined);
    assert.deepEqual(problems.sort(), [
      'admins[0]: expected "group:NAME" or "user:SUBJECT", received "platform"',
      'auditors: expected a list of "group:NAME" or "user:SUBJECT", received "group:security"',
      'connections[0].port: expected an integer 1-65535, received "abc"',
      'connections[1].name: duplicate connection name "appdb"',
      'connections[2].host: required key is missing (expected a host name or IP address)',
      'connections[2].name: expected a name of letters, digits, "_", "." and "-" (not starting with "." or "-"), received "-bad"',
      'connections[2].password: expected {env: NAME}, {file: PATH} or a string, received a number',
      'connections[2].tls.mode: expected one of disable, require, verify-full, received "strict"',
      'connections[2].type: expected "postgres", received "mysql"',
      'connections[3].password: expected {env: NAME}, {file: PATH} or a string, received a mapping with keys vault',
      'identity.oidc[0].issuer: expected an http(s) URL, received "not a url"',
      'identity.oidc[0].kind: expected one of human, agent, service, received "robot"',
      'identity.oidc[0].name: expected a name of lowercase letters, digits and "-", received "Corp"',
      'identity.oidc[2].name: duplicate issuer name "ok"',
      'listen.api: expected "host:port", received 8009',
      'listen.postgres: expected "host:port" with a port 0-65535, received "localhost"',
      'listen.tls.cert: file /etc/airlock/missing.crt does not exist',
      'listen.tls.key: required key is missing (expected a path to a PEM file)',
      'logging.level: expected one of trace, debug, info, warn, error, silent, received "loud"',
      'store: expected "sqlite:PATH" or "postgres://user:password@host:port/db", received "mysql://root:***@db/airlock"',
      'unknown key "conections" at top level (did you mean "connections"?)',
      'unknown key "groupClaims" in identity.oidc[0] (did you mean "groupsClaim"?)',
    ]);
    assert.ok(!problems.join('\n').includes('12345'), 'a password value must never be shown');
    assert.ok(!problems.join('\n').includes('hunter2'), 'a store password must never be shown');
  });

  test('an unknown key with no close match lists the known keys', () => {
    const { problems } = parseConfig('listen: { grpc: "1.2.3.4:5" }\n', options);
    assert.deepEqual(problems, ['unknown key "grpc" in listen; known keys: api, postgres, tls']);
  });

  test('YAML syntax errors name line and column and never quote the source line', () => {
    const { config, problems } = parseConfig(
      'store: sqlite:a.db\nlisten:\n  api: [1, 2\npassword: s3cret\n',
      options,
    );
    assert.equal(config, undefined);
    assert.ok(problems.length > 0);
    assert.match(problems[0]!, /^YAML syntax error at line \d+, column \d+: /);
    assert.ok(!problems.join('\n').includes('s3cret'));
    const duplicate = parseConfig('store: sqlite:a.db\nstore: sqlite:b.db\n', options);
    assert.deepEqual(duplicate.problems, ['YAML syntax error at line 2, column 1: Map keys must be unique']);
  });

  test('a top level that is not a mapping is one clear problem', () => {
    assert.deepEqual(parseConfig('- a\n- b\n', options).problems, [
      'top level: expected a mapping of keys (store, listen, connections...), received a list or value',
    ]);
  });

  test('a literal password works, with a warning that does not contain it', () => {
    const text =
      'connections:\n  - { name: a, type: postgres, host: h, database: d, user: u, password: "pa55word" }\n';
    const { config, warnings } = parseConfig(text, options);
    assert.deepEqual(config?.connections[0]?.password, { value: 'pa55word' });
    assert.deepEqual(warnings, [
      'connections[0].password: a literal password is stored in the config file; use {env: ...} or {file: ...}',
    ]);
    assert.deepEqual(config?.warnings, warnings);
  });

  test('an unset password variable is a warning at check time', () => {
    const text =
      'connections:\n  - { name: a, type: postgres, host: h, database: d, user: u, password: { env: NOPE } }\n';
    const { config, problems, warnings } = parseConfig(text, options);
    assert.deepEqual(problems, []);
    assert.deepEqual(config?.connections[0]?.password, { env: 'NOPE' });
    assert.deepEqual(warnings, ['connections[0].password: environment variable NOPE is not set']);
  });

  test('the listeners may not share an address; port 0 is allowed for tests', () => {
    const same = parseConfig('listen: { api: "127.0.0.1:9000", postgres: "127.0.0.1:9000" }\n', options);
    assert.deepEqual(same.problems, ['listen.postgres: same address as listen.api (127.0.0.1:9000)']);
    const ephemeral = parseConfig('listen: { api: "127.0.0.1:0", postgres: "127.0.0.1:0" }\n', options);
    assert.deepEqual(ephemeral.config?.listen.postgres, { host: '127.0.0.1', port: 0 });
  });

  test('upstream tls: a bare mode string, a missing CA file, a CA with mode disable', () => {
    const base =
      'connections:\n  - { name: a, type: postgres, host: h, database: d, user: u, password: { env: X }, ';
    assert.deepEqual(parseConfig(`${base}tls: require }\n`, options).config?.connections[0]?.tls, {
      mode: 'require',
    });
    assert.deepEqual(parseConfig(`${base}tls: { mode: verify-full, ca: nope.pem } }\n`, options).problems, [
      'connections[0].tls.ca: file /etc/airlock/nope.pem does not exist',
    ]);
    const ignored = parseConfig(`${base}tls: { ca: /etc/airlock/ca.pem } }\n`, options);
    assert.ok(ignored.warnings.includes('connections[0].tls.ca: ignored because tls.mode is disable'));
  });

  test('an http issuer on a remote host is a warning; loopback is fine', () => {
    const remote = parseConfig(
      'identity: { oidc: [{ name: a, issuer: "http://idp.example", audience: x }] }\n',
      options,
    );
    assert.deepEqual(remote.warnings, [
      'identity.oidc[0].issuer: plain http issuer on a non-loopback host; use https',
    ]);
    const local = parseConfig(
      'identity: { oidc: [{ name: a, issuer: "http://127.0.0.1:4000", audience: x }] }\n',
      options,
    );
    assert.deepEqual(local.warnings, []);
  });

  test('one issuer URL may be configured once', () => {
    const text =
      'identity: { oidc: [{ name: a, issuer: "https://x", audience: a }, { name: b, issuer: "https://x", audience: b }] }\n';
    assert.deepEqual(parseConfig(text, options).problems, [
      'identity.oidc[1].issuer: issuer URL "https://x" is already configured as "a"',
    ]);
  });

  test('required connection keys are reported as missing', () => {
    const { problems } = parseConfig('connections: [{ name: a }]\n', options);
    assert.deepEqual(problems, [
      'connections[0].type: required key is missing (expected "postgres")',
      'connections[0].host: required key is missing (expected a host name or IP address)',
      'connections[0].database: required key is missing (expected a database name)',
      'connections[0].user: required key is missing (expected a database user name)',
      'connections[0].password: required key is missing (expected {env: NAME}, {file: PATH} or a string)',
    ]);
  });
});
