import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { auditBind, auditExecute, auditFunctionCall, auditQuery } from './audit.js';
import { initClassifier } from './classify/index.js';
import type { BindMessage, FunctionCallMessage } from './codec/messages.js';

before(() => initClassifier());

function bind(parameters: (Buffer | null)[], parameterFormats: number[]): BindMessage {
  return {
    name: 'bind',
    raw: Buffer.alloc(0),
    portal: '',
    statement: '',
    parameterFormats,
    parameters,
    resultFormats: [],
  };
}

test('Bind parameters: text as is, binary as \\x hex, NULL as null, per the format codes', () => {
  const values = [Buffer.from('42'), Buffer.from([0xde, 0xad]), null];
  assert.deepEqual(auditBind(bind([Buffer.from('a'), Buffer.from('b')], [])), ['a', 'b']);
  assert.deepEqual(auditBind(bind([Buffer.from([1]), Buffer.from([2])], [1])), ['\\x01', '\\x02']);
  assert.deepEqual(auditBind(bind(values, [0, 1, 0])), ['42', '\\xdead', null]);
});

test('commands carry the channel, text and parameters the gate and the journal need', () => {
  const query = auditQuery(1, 'select 1 from items; delete from orders where id = 2');
  assert.equal(query.channel, 'simple');
  assert.equal(query.action, 'sql.select,sql.delete', 'every statement’s action, classified by the parser');
  assert.deepEqual(query.objects, ['items', 'orders']);
  assert.equal(query.statements?.length, 2);
  assert.equal(query.statements?.[1]?.facts.bounded, true);
  const broken = auditQuery(2, 'selec 1');
  assert.equal(broken.action, 'sql.unclassified');
  assert.match(broken.unparsed ?? '', /syntax error/);
  assert.deepEqual(broken.statements, []);
  const execute = auditExecute(3, { text: 'select $1', parameters: ['x'] });
  assert.equal(execute.channel, 'extended');
  assert.equal(execute.action, 'sql.select');
  assert.deepEqual(execute.parameters, ['x']);
  const call: FunctionCallMessage = {
    name: 'functionCall',
    raw: Buffer.alloc(0),
    oid: 1598,
    argumentFormats: [1],
    arguments: [Buffer.from([7])],
    resultFormat: 0,
  };
  assert.deepEqual(auditFunctionCall(3, call), {
    id: 3,
    channel: 'function-call',
    text: 'function-call oid=1598',
    parameters: ['\\x07'],
    action: 'sql.unclassified',
    objects: [],
  });
});
