/** @module JWT corpus: JWS with several algorithms, unsecured (`alg: none`), JWE; look-alikes. */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, randomFrom, seededRandom } from './types.js';

const random = seededRandom(9);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const valid: string[] = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  `${Buffer.from('{\n  "alg": "RS256"\n}').toString('base64url')}.${part({ sub: 'x' })}.${randomFrom(random, B64URL, 86)}`,
  `${part({ alg: 'none' })}.${part({ sub: 'agent' })}.`,
];
const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS512', 'ES256', 'ES384', 'PS256', 'EdDSA'];
for (let i = 0; i < 36; i++) {
  const header = part({
    alg: ALGS[i % ALGS.length],
    typ: 'JWT',
    ...(i % 3 === 0 ? { kid: randomFrom(random, B64URL, 8) } : {}),
  });
  const payload = part({ sub: randomFrom(random, B64URL, 10), iat: 1700000000 + i, scope: 'read' });
  valid.push(`${header}.${payload}.${randomFrom(random, B64URL, 43 + (i % 3) * 20)}`);
}
for (let i = 0; i < 6; i++) {
  const header = part({ alg: 'RSA-OAEP', enc: 'A256GCM' });
  valid.push(
    [
      header,
      randomFrom(random, B64URL, 342),
      randomFrom(random, B64URL, 16),
      randomFrom(random, B64URL, 40),
      randomFrom(random, B64URL, 22),
    ].join('.'),
  );
}

const misses: string[] = [
  `${part({ typ: 'JWT' })}.${part({ sub: 'x' })}.${randomFrom(random, B64URL, 43)}`,
  `${part([1, 2])}.${part({ sub: 'x' })}.${randomFrom(random, B64URL, 43)}`,
  `eyJub3QganNvbg.${part({ sub: 'x' })}.sig`,
  `${part({ alg: 'HS256' })}.${part({ sub: 'x' })}`,
  `${part({ alg: 'HS256' })}.${part({ sub: 'x' })}.`,
  `${part({ alg: 'HS256' })}..sig`,
  'eyJhbGciOiJIUzI1NiJ9',
  'com.example.app.MainActivity',
  'every.day.counts',
  'eyes.wide.shut',
  `${randomFrom(random, B64URL, 40)}.${randomFrom(random, B64URL, 40)}.${randomFrom(random, B64URL, 40)}`,
];

export const jwtCorpus: DetectorCorpus = {
  entity: 'JWT',
  // A JWT split across lines is not one token any more: counted, and missed.
  positives: [...embed(valid), ['', `${valid[0]!.slice(0, 40)}\n${valid[0]!.slice(40)}`, '']],
  negatives: [...misses, ...NEAR_MISSES],
};
