/**
 * @module Text that resembles sensitive values but is not: every detector's negatives include these.
 * Order ids, timestamps, version strings, dates, UUIDs, hashes, phone-like ids, prices, prose.
 */
import { randomDigits, randomFrom, seededRandom } from './types.js';

const random = seededRandom(404);
const hex = '0123456789abcdef';

function uuid(): string {
  const h = randomFrom(random, hex, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const generated: string[] = [];
for (let i = 0; i < 20; i++) {
  generated.push(`order ORD-${randomDigits(random, 10)}`);
  generated.push(`invoice INV-2024-${randomDigits(random, 6)}`);
  generated.push(`trace ${uuid()}`);
  generated.push(`sha256 ${randomFrom(random, hex, 64)}`);
  generated.push(`commit ${randomFrom(random, hex, 40)}`);
  generated.push(`md5 ${randomFrom(random, hex, 32)}`);
  generated.push(`epoch ms 17${randomDigits(random, 11)}`);
  generated.push(`SKU-${randomDigits(random, 4)}-${randomDigits(random, 4)}-${randomDigits(random, 4)}`);
  generated.push(`tracking 1Z${randomFrom(random, '0123456789ABCDEFGHJKLMNPRSTUVWXYZ', 16)}`);
  generated.push(`user_id=${randomDigits(random, 7)}`);
}

export const NEAR_MISSES: readonly string[] = [
  'Hello world, nothing to see here.',
  'The quick brown fox jumps over the lazy dog.',
  'Meeting moved to 2024-01-15 10:23:45 UTC.',
  'created_at=2024-03-09T08:15:30.123456+00:00',
  'timestamp 20240115102345',
  'Unix time 1700000000',
  'Dates: 15.01.2024, 01/15/2024, 2024/01/15, 15-01-2024',
  'Release v1.2.3 shipped; see 10.2.0-rc.1 and 2.31.4.',
  'Python 3.11.7 and node v20.20.2',
  'Total: $1,234,567.89 (EUR 1.234.567,89)',
  'Call center hours 9:00-17:30, ext 4521',
  'ISBN 978-3-16-148410-0',
  'Order #123456789 shipped',
  'zip 94105-1234',
  'Room 12, floor 3, building 4',
  'Ratio 16:9 at 1920x1080',
  'SELECT * FROM customers WHERE id = 42;',
  'error 0x80070005 at address 0x7ffee4b3c8a0',
  'Lat 37.7749, long -122.4194',
  'image@2x.png and icon@3x.jpg',
  '@channel please review, cc @jane',
  'part number 4-1111-1111',
  'PO 2025-550143',
  'ticket JIRA-20255',
  'std::vector<int> v; a::b::c',
  'The token is expired; the secret is out.',
  'password reset required: false',
  'Use --password-file to pass secrets.',
  'A-B testing with groups AKA cohorts',
  'github_repository: octo/hello, skip_ci: true',
  'OID 1.3.6.1.4.1.311',
  'MAC 00:1a:2b:3c:4d:5e',
  'phone-number-field',
  'Amount 4111.11 USD',
  ...generated,
];
