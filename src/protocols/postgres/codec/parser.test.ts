import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../../../core/errors.js';
import { backend, chunkAt, frontend } from '../testing/builders.js';
import { decodeBackend } from './backend-decoder.js';
import { BackendCode, FrontendCode, RequestCode } from './codes.js';
import { decodeFrontend, decodePassword, decodeStartup } from './frontend-decoder.js';
import type { BackendMessage, Frame, FrontendMessage, StartupPacket } from './messages.js';
import { BackendParser, FrontendParser } from './parser.js';

function violation(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof AirlockError && err.code === 'ERR_PROTOCOL_VIOLATION' && pattern.test(err.message);
}

function parseFrontend(chunks: readonly Buffer[], parser = new FrontendParser()) {
  const out: (StartupPacket | FrontendMessage)[] = [];
  for (const chunk of chunks) {
    parser.parse(chunk, (frame) => {
      const message =
        parser.phase === 'tagged' && frame.bodyStart === frame.start + 5
          ? decodeFrontend(keep(frame))
          : decodeStartup(keep(frame));
      out.push({ ...message, raw: Buffer.from(message.raw) });
    });
  }
  return out;
}

/** Re-points an unstable frame at a private copy, so decoded views survive the callback. */
function keep(frame: Frame): Frame {
  if (frame.stable) return frame;
  const copy = Buffer.from(frame.raw);
  frame.bodyStart -= frame.start;
  frame.end -= frame.start;
  frame.start = 0;
  frame.buffer = copy;
  return frame;
}

function parseBackend(chunks: readonly Buffer[], parser = new BackendParser()): BackendMessage[] {
  const out: BackendMessage[] = [];
  for (const chunk of chunks) parser.parse(chunk, (frame) => out.push(decodeBackend(keep(frame))));
  return out;
}

test('startup phase: SSLRequest, GSSENCRequest, then a StartupMessage with parameters', () => {
  const startup = frontend.startup({ user: 'anyone', database: 'appdb', options: '-c airlock.reason=x' });
  const messages = parseFrontend([Buffer.concat([frontend.gssEncRequest(), frontend.sslRequest(), startup])]);
  assert.deepEqual(
    messages.map((m) => m.name),
    ['gssEncRequest', 'sslRequest', 'startup'],
  );
  const message = messages[2] as Extract<StartupPacket, { name: 'startup' }>;
  assert.equal(message.major, 3);
  assert.equal(message.minor, 0);
  assert.deepEqual(
    [...message.parameters],
    [
      ['user', 'anyone'],
      ['database', 'appdb'],
      ['options', '-c airlock.reason=x'],
    ],
  );
  assert.deepEqual(message.raw, startup);
});

test('the parser switches to tagged messages right after the StartupMessage, even mid-chunk', () => {
  const parser = new FrontendParser();
  const bytes = Buffer.concat([
    frontend.startup({ user: 'u' }),
    frontend.password('tok'),
    frontend.query('select 1'),
  ]);
  const names: string[] = [];
  parser.parse(bytes, (frame) => {
    if (frame.code === FrontendCode.Password) {
      names.push(`password:${decodePassword((decodeFrontend(frame) as { body: Buffer }).body)}`);
    } else {
      names.push(parser.phase === 'tagged' && frame.code === FrontendCode.Query ? 'query' : 'startup');
    }
  });
  assert.deepEqual(names, ['startup', 'password:tok', 'query']);
  assert.equal(parser.phase, 'tagged');
});

test('CancelRequest carries the process id and secret key', () => {
  const [message] = parseFrontend([frontend.cancelRequest(4242, Buffer.from([1, 2, 3, 4]))]);
  assert.deepEqual(message, {
    name: 'cancelRequest',
    raw: frontend.cancelRequest(4242, Buffer.from([1, 2, 3, 4])),
    processId: 4242,
    secretKey: Buffer.from([1, 2, 3, 4]),
  });
});

test('a protocol 3.2 StartupMessage is accepted (negotiation happens in the engine)', () => {
  const [message] = parseFrontend([frontend.startup({ user: 'u', '_pq_.x': '1' }, 3, 2)]);
  assert.equal(message!.name, 'startup');
  assert.equal((message as { minor: number }).minor, 2);
});

test('bad startup packets are protocol violations', () => {
  assert.throws(
    () => parseFrontend([frontend.startup({ user: 'u' }, 2, 0)]),
    violation(/expected protocol 3.x or a known request code, received 2.0/),
  );
  assert.throws(
    () => parseFrontend([Buffer.from([0, 0, 0, 4, 0, 0, 0, 0])]),
    violation(/startup packet length/),
  );
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(10_001);
  huge.writeInt32BE(3 << 16, 4);
  assert.throws(() => parseFrontend([huge]), violation(/between 8 and 10000, received 10001/));
  // Parameter value without its NUL.
  const unterminated = Buffer.from('\0\0\0\x0f\0\x03\0\0user\0ab', 'latin1');
  assert.throws(() => parseFrontend([unterminated]), violation(/NUL-terminated string in StartupMessage/));
  // All strings terminated but the final list terminator missing.
  const noTerminator = Buffer.from('\0\0\0\x10\0\x03\0\0user\0ab\0', 'latin1');
  assert.throws(() => parseFrontend([noTerminator]), violation(/NUL ending the startup parameters/));
  const longSsl = Buffer.from([0, 0, 0, 9, 0x04, 0xd2, 0x16, 0x2f, 0]);
  assert.throws(() => parseFrontend([longSsl]), violation(/8-byte encryption request/));
});

test('every frontend message decodes to its fields and keeps its raw bytes', () => {
  const parser = new FrontendParser({ phase: 'tagged' });
  const frames = [
    frontend.query('select 1'),
    frontend.parse('s1', 'select $1::int', [23]),
    frontend.bind('p1', 's1', ['42', null, Buffer.from([0xde, 0xad])], [0, 0, 1], [1]),
    frontend.describe('P', 'p1'),
    frontend.execute('p1', 10),
    frontend.close('S', 's1'),
    frontend.flush(),
    frontend.sync(),
    frontend.copyData('1\tx\n'),
    frontend.copyDone(),
    frontend.copyFail('nope'),
    frontend.functionCall(1598, ['a']),
    frontend.password('secret'),
    frontend.terminate(),
  ];
  const messages = parseFrontend([Buffer.concat(frames)], parser);
  assert.deepEqual(
    messages.map((m) => m.name),
    [
      'query',
      'parse',
      'bind',
      'describe',
      'execute',
      'close',
      'flush',
      'sync',
      'copyData',
      'copyDone',
      'copyFail',
      'functionCall',
      'password',
      'terminate',
    ],
  );
  messages.forEach((m, i) => {
    assert.deepEqual(m.raw, frames[i]);
  });
  assert.equal((messages[0] as { text: string }).text, 'select 1');
  assert.deepEqual(messages[1], {
    name: 'parse',
    raw: frames[1],
    statement: 's1',
    text: 'select $1::int',
    parameterTypes: [23],
  });
  const bind = messages[2] as Extract<FrontendMessage, { name: 'bind' }>;
  assert.equal(bind.portal, 'p1');
  assert.equal(bind.statement, 's1');
  assert.deepEqual(bind.parameterFormats, [0, 0, 1]);
  assert.deepEqual(bind.parameters, [Buffer.from('42'), null, Buffer.from([0xde, 0xad])]);
  assert.deepEqual(bind.resultFormats, [1]);
  assert.deepEqual(messages[3], { name: 'describe', raw: frames[3], kind: 'P', target: 'p1' });
  assert.deepEqual(messages[4], { name: 'execute', raw: frames[4], portal: 'p1', maxRows: 10 });
  assert.deepEqual(messages[5], { name: 'close', raw: frames[5], kind: 'S', target: 's1' });
  assert.deepEqual((messages[8] as { data: Buffer }).data, Buffer.from('1\tx\n'));
  assert.equal((messages[10] as { message: string }).message, 'nope');
  const call = messages[11] as Extract<FrontendMessage, { name: 'functionCall' }>;
  assert.equal(call.oid, 1598);
  assert.deepEqual(call.arguments, [Buffer.from('a')]);
  assert.equal(decodePassword((messages[12] as { body: Buffer }).body), 'secret');
});

test('tagged framing errors: unknown tag, short length, body on a bodyless message, over the cap', () => {
  const tagged = () => new FrontendParser({ phase: 'tagged' });
  assert.throws(
    () => parseFrontend([Buffer.from('Z\0\0\0\x04', 'latin1')], tagged()),
    violation(/received 'Z'/),
  );
  assert.throws(() => parseFrontend([Buffer.from([0x01, 0, 0, 0, 4])], tagged()), violation(/received 0x01/));
  assert.throws(
    () => parseFrontend([Buffer.from('Q\0\0\0\x03', 'latin1')], tagged()),
    violation(/received 3/),
  );
  assert.throws(
    () => parseFrontend([Buffer.from('S\0\0\0\x05\0', 'latin1')], tagged()),
    violation(/exactly 4 for frontend message 'S', received 5/),
  );
  const small = new FrontendParser({ phase: 'tagged', maxMessageLength: 100 });
  assert.throws(
    () => parseFrontend([frontend.query('x'.repeat(200))], small),
    violation(/between 4 and 100/),
  );
  // The cap is enforced from the header alone, before the body arrives.
  const header = frontend.query('x'.repeat(200)).subarray(0, 5);
  assert.throws(() =>
    parseFrontend([header], new FrontendParser({ phase: 'tagged', maxMessageLength: 100 })),
  );
  assert.throws(
    () =>
      parseFrontend(
        [Buffer.concat([Buffer.from('E\0\0\x27\x15', 'latin1'), Buffer.alloc(10_000)])],
        tagged(),
      ),
    violation(/between 4 and 10000/),
  );
});

test('body errors: a Bind whose counts lie is refused without reading past the frame', () => {
  const bind = frontend.bind('', 's', ['abc']);
  // Claim the value is 1000 bytes long.
  const lying = Buffer.from(bind);
  const lengthAt = lying.indexOf(Buffer.from([0, 0, 0, 3, 0x61]));
  lying.writeInt32BE(1000, lengthAt);
  const next = frontend.sync();
  const parser = new FrontendParser({ phase: 'tagged' });
  assert.throws(
    () => parseFrontend([Buffer.concat([lying, next])], parser),
    violation(/expected 1000 more bytes in Bind message/),
  );
  const negative = Buffer.from(bind);
  negative.writeInt16BE(-1, 8);
  assert.throws(
    () => parseFrontend([negative], new FrontendParser({ phase: 'tagged' })),
    violation(/non-negative format code count/),
  );
});

test('backend: every message decodes to its fields', () => {
  const frames = [
    backend.authenticationOk(),
    backend.cleartextPassword(),
    backend.md5Password(Buffer.from([1, 2, 3, 4])),
    backend.sasl(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']),
    backend.saslContinue('r=abc,s=xyz,i=4096'),
    backend.saslFinal('v=sig'),
    backend.parameterStatus('server_version', '15.0'),
    backend.backendKeyData(77, Buffer.from([9, 9, 9, 9])),
    backend.readyForQuery('T'),
    backend.error({ S: 'ERROR', V: 'ERROR', C: '42P01', M: 'relation "x" does not exist', P: '15' }),
    backend.notice({ S: 'NOTICE', C: '00000', M: 'hello', D: 'more', H: 'try' }),
    backend.commandComplete('INSERT 0 3'),
    backend.rowDescription([{ name: 'id', typeOid: 23 }, { name: 'name' }]),
    backend.dataRow(['1', null, Buffer.from([0])]),
    backend.emptyQueryResponse(),
    backend.portalSuspended(),
    backend.copyResponse('G', 2),
    backend.copyResponse('H', 1, 1),
    backend.copyResponse('W', 0),
    backend.copyData('row\n'),
    backend.copyDone(),
    backend.parseComplete(),
    backend.bindComplete(),
    backend.closeComplete(),
    backend.noData(),
    backend.parameterDescription([23, 25]),
    backend.notification(12, 'chan', 'payload'),
    backend.negotiateProtocolVersion(0, ['_pq_.x']),
    backend.functionCallResponse(Buffer.from('7')),
    backend.functionCallResponse(null),
  ];
  const messages = parseBackend(chunkAt(Buffer.concat(frames), [3, 17, 40, 41, 200]));
  messages.forEach((m, i) => {
    assert.deepEqual(Buffer.from(m.raw), frames[i], m.name);
  });
  const byIndex = (i: number) => messages[i] as unknown as Record<string, unknown>;
  assert.equal(byIndex(0).type, 0);
  assert.deepEqual(byIndex(2).salt, Buffer.from([1, 2, 3, 4]));
  assert.deepEqual(byIndex(3).mechanisms, ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
  assert.equal(String(byIndex(4).data), 'r=abc,s=xyz,i=4096');
  assert.equal(byIndex(6).value, '15.0');
  assert.equal(byIndex(7).processId, 77);
  assert.equal(byIndex(8).status, 0x54);
  const error = byIndex(9).fields as { severity: string; code: string; message: string; position: string };
  assert.deepEqual(
    [error.severity, error.code, error.message, error.position],
    ['ERROR', '42P01', 'relation "x" does not exist', '15'],
  );
  const notice = byIndex(10).fields as { detail: string; hint: string };
  assert.deepEqual([notice.detail, notice.hint], ['more', 'try']);
  assert.equal(byIndex(11).tag, 'INSERT 0 3');
  assert.deepEqual(
    (byIndex(12).fields as { name: string; typeOid: number }[]).map((f) => [f.name, f.typeOid]),
    [
      ['id', 23],
      ['name', 25],
    ],
  );
  assert.deepEqual(byIndex(13).values, [Buffer.from('1'), null, Buffer.from([0])]);
  assert.deepEqual(
    messages.slice(14, 19).map((m) => m.name),
    ['emptyQueryResponse', 'portalSuspended', 'copyInResponse', 'copyOutResponse', 'copyBothResponse'],
  );
  assert.deepEqual(byIndex(17).columnFormats, [1]);
  assert.deepEqual(byIndex(25).typeOids, [23, 25]);
  assert.deepEqual([byIndex(26).channel, byIndex(26).payload], ['chan', 'payload']);
  assert.deepEqual(byIndex(27).unrecognizedOptions, ['_pq_.x']);
  assert.deepEqual(byIndex(28).value, Buffer.from('7'));
  assert.equal(byIndex(29).value, null);
});

test('backend peek path: code and raw without decoding', () => {
  const rows = Buffer.concat([
    backend.dataRow(['a']),
    backend.dataRow(['b']),
    backend.commandComplete('SELECT 2'),
  ]);
  const seen: [number, number][] = [];
  new BackendParser().parse(rows, (frame) => seen.push([frame.code, frame.length]));
  assert.deepEqual(seen, [
    [BackendCode.DataRow, backend.dataRow(['a']).length],
    [BackendCode.DataRow, backend.dataRow(['b']).length],
    [BackendCode.CommandComplete, backend.commandComplete('SELECT 2').length],
  ]);
});

test('backend framing and body errors', () => {
  assert.throws(
    () => parseBackend([Buffer.from('p\0\0\0\x04', 'latin1')]),
    violation(/backend message tag, received 'p'/),
  );
  assert.throws(() => parseBackend([Buffer.from('1\0\0\0\x05\0', 'latin1')]), violation(/exactly 4/));
  assert.throws(() => parseBackend([Buffer.from('Z\0\0\0\x05X', 'latin1')]), violation(/transaction status/));
  const unterminated = Buffer.from('E\0\0\0\x08SERR', 'latin1');
  assert.throws(() => parseBackend([unterminated]), violation(/NUL-terminated/));
  const noEnd = Buffer.from('E\0\0\0\x09SERR\0', 'latin1');
  assert.throws(() => parseBackend([noEnd]), violation(/NUL ending the error fields/));
  assert.throws(
    () => parseBackend([backend.dataRow(['x'])], new BackendParser({ maxMessageLength: 6 })),
    violation(/between 4 and 6/),
  );
});

test('request codes are distinct constants', () => {
  assert.equal(new Set(Object.values(RequestCode)).size, 3);
});
