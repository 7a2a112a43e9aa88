/**
 * @module SECRET corpus: private-key blocks, password and token assignments in env, JSON, YAML, URL
 * and header forms, AWS secret keys next to their key id; placeholders and harmless key words.
 */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, type Positive, randomFrom, seededRandom } from './types.js';

const random = seededRandom(8);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = `${ALNUM}+/`;

function pem(kind: string): string {
  const body = Array.from({ length: 3 }, () => randomFrom(random, B64, 64)).join('\n');
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----`;
}

const positives: Positive[] = [
  ['', pem('RSA PRIVATE KEY'), ''],
  ['key:\n', pem('PRIVATE KEY'), '\n'],
  ['', pem('EC PRIVATE KEY'), ' trailing'],
  ['', pem('OPENSSH PRIVATE KEY'), ''],
  ['', pem('ENCRYPTED PRIVATE KEY'), ''],
  ['', pem('PGP PRIVATE KEY BLOCK'), ''],
  ['cut off: ', `-----BEGIN PRIVATE KEY-----\n${randomFrom(random, B64, 64)}`, ''],
  ['password=', 'hunter22', ''],
  ['DB_PASSWORD=', 'correct-horse-battery', '\nDB_HOST=db'],
  ['{"password": "', 'S3cr3t!pass', '"}'],
  ['password: ', 'Tr0ub4dor&3', ''],
  ["pwd='", 'my pass phrase', "'"],
  ['--passwd ', '', ''],
  ['passphrase => "', 'long secret phrase here', '"'],
  ['client_secret=', randomFrom(random, ALNUM, 32), '&grant_type=client_credentials'],
  ['api_key: ', randomFrom(random, ALNUM, 40), ''],
  ['"access_token":"', randomFrom(random, ALNUM, 48), '"'],
  ['token=', randomFrom(random, '0123456789abcdef', 40), ''],
  ['Authorization: Bearer ', randomFrom(random, `${ALNUM}._-`, 60), ''],
  ['Authorization: Basic ', Buffer.from('admin:s3cr3tpw').toString('base64'), ''],
  ['postgres://app:', 's3cr3tPass', '@db.internal:5432/app'],
  ['redis://default:', randomFrom(random, ALNUM, 20), '@cache:6379'],
  ['aws_secret_access_key = ', `${randomFrom(random, B64, 40)}`, ''],
  ['AKIAIOSFODNN7EXAMPLE,', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ''],
  ['SECRET_KEY=', randomFrom(random, `${ALNUM}!@#%^*`, 50), ''],
  ['private_key: ', randomFrom(random, ALNUM, 64), ''],
];
for (let i = 0; i < 20; i++) {
  positives.push([
    `${['password', 'PASSWORD', 'user_password', 'pwd'][i % 4]}=`,
    randomFrom(random, `${ALNUM}!#$%`, 6 + (i % 10)),
    '',
  ]);
  positives.push([
    `${['secret', 'token', 'api_key', 'auth_token'][i % 4]}: `,
    randomFrom(random, ALNUM, 16 + i),
    '',
  ]);
}

const negatives: string[] = [
  'password: required',
  'password=********',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder is the test case
  'password=${DB_PASSWORD}',
  'password: {{ vault_password }}',
  'password=<your password>',
  'password = ?',
  'password=$1',
  'token: expired',
  'secret=true',
  'token=abc123',
  'api_key: null',
  'secret: none',
  'Bearer token required',
  'Authorization: Bearer',
  '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----',
  '-----BEGIN CERTIFICATE-----\nMIIDdzCC\n-----END CERTIFICATE-----',
  'https://example.com/path?q=1',
  'postgres://app@db:5432/app',
  'secrets_manager_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod',
  'tokenizer=default',
  'passwordless login enabled',
  `hash: ${randomFrom(random, '0123456789abcdef', 40)}`,
];

export const secretCorpus: DetectorCorpus = {
  entity: 'SECRET',
  // A password written as prose (`my password is hunter2`) has no assignment: counted, and missed.
  positives: [...positives.filter(([, value]) => value !== ''), ['my password is ', 'hunter2', '']],
  negatives: [...negatives, ...NEAR_MISSES],
};
