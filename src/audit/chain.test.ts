import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  anchorSignatureValid,
  canonicalJson,
  checkRecordHash,
  GENESIS_HASH,
  hashRecord,
  sealEvent,
  sealEventLine,
  signAnchor,
} from './chain.js';
import { AUDIT_SCHEMA_VERSION, type AuditEventBody } from './events.js';

const body: AuditEventBody = {
  type: 'token.revoked',
  actor: { subject: 'operator', kind: 'human', groups: ['ops'], issuer: 'local', chain: [] },
  name: 'bot',
};
const position = { node: 'node-a', seq: 1, time: '2026-01-01T00:00:00.000Z', prevHash: GENESIS_HASH };

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } }),
      '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('drops undefined members and writes null for undefined array items, like JSON.stringify', () => {
    assert.equal(
      canonicalJson({ a: undefined, b: [undefined, 1], c: Number.NaN }),
      '{"b":[null,1],"c":null}',
    );
  });

  it('survives a JSON round trip unchanged (the store re-hashes parsed JSON)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(canonicalJson(JSON.parse(JSON.stringify(value))), canonicalJson(value));
      }),
    );
  });

  it('escapes strings exactly as JSON.stringify does, lone surrogates and control characters too', () => {
    const anyUtf16 = fc
      .array(fc.integer({ min: 0, max: 0xffff }))
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(anyUtf16, (text) => {
        assert.equal(canonicalJson(text), JSON.stringify(text));
        assert.equal(canonicalJson({ [text]: text }), JSON.stringify({ [text]: text }));
      }),
      { numRuns: 500 },
    );
    assert.equal(canonicalJson('a"b\\c\n\ud800'), '"a\\"b\\\\c\\n\\ud800"');
  });

  it('refuses bigint and values without a JSON form', () => {
    assert.throws(() => canonicalJson(1n), TypeError);
    assert.throws(() => canonicalJson(undefined), TypeError);
  });
});

describe('hashRecord and sealEvent', () => {
  it('hashes prevHash, a newline and the canonical JSON with SHA-256', () => {
    const record = { b: 2, a: 1 };
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n{"a":1,"b":2}`).digest('hex');
    assert.equal(hashRecord(GENESIS_HASH, record), expected);
    assert.equal(GENESIS_HASH, '0'.repeat(64));
  });

  it('seals a body with version, position and a hash over everything else', () => {
    const record = sealEvent(body, position);
    assert.equal(record.v, AUDIT_SCHEMA_VERSION);
    assert.equal(record.node, 'node-a');
    assert.equal(record.seq, 1);
    assert.equal(record.prevHash, GENESIS_HASH);
    const { hash, ...rest } = record;
    assert.equal(hash, hashRecord(GENESIS_HASH, rest));
    assert.match(hash, /^[0-9a-f]{64}$/);
  });

  it('renders a line that parses back to the record and checks out', () => {
    const { record, json } = sealEventLine(body, position);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    assert.deepEqual(parsed, { ...record });
    assert.equal(checkRecordHash(parsed), undefined);
  });

  it('links: a record sealed after another carries its hash; any edit breaks the hash', () => {
    const first = sealEvent(body, position);
    const second = sealEvent(body, { ...position, seq: 2, prevHash: first.hash });
    assert.equal(second.prevHash, first.hash);
    assert.notEqual(second.hash, first.hash);
    const edited = JSON.parse(JSON.stringify(second)) as Record<string, unknown>;
    edited.name = 'someone-else';
    assert.equal(checkRecordHash(edited), 'hash mismatch');
    const relinked = {
      ...(JSON.parse(JSON.stringify(second)) as Record<string, unknown>),
      prevHash: GENESIS_HASH,
    };
    assert.equal(checkRecordHash(relinked), 'hash mismatch');
  });
});

describe('anchor signatures', () => {
  it('verify with the key that signed and fail with any change', () => {
    const key = Buffer.alloc(32, 1);
    const signature = signAnchor(key, 'node-a', 5, 'ab'.repeat(32));
    assert.ok(anchorSignatureValid(key, 'node-a', 5, 'ab'.repeat(32), signature));
    assert.ok(!anchorSignatureValid(key, 'node-a', 4, 'ab'.repeat(32), signature));
    assert.ok(!anchorSignatureValid(key, 'node-b', 5, 'ab'.repeat(32), signature));
    assert.ok(!anchorSignatureValid(Buffer.alloc(32, 2), 'node-a', 5, 'ab'.repeat(32), signature));
    assert.ok(!anchorSignatureValid(key, 'node-a', 5, 'ab'.repeat(32), 'zz'));
  });
});
