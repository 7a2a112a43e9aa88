/** @module IP_ADDRESS corpus: IPv4 and IPv6 forms, with ports and in URLs; versions, OIDs, times, MACs. */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, randomFrom, seededRandom } from './types.js';

const random = seededRandom(6);
const hex = '0123456789abcdef';

const valid: string[] = [
  '192.168.1.1',
  '10.0.0.1',
  '172.16.254.3',
  '8.8.8.8',
  '255.255.255.255',
  '0.0.0.0',
  '2001:db8::8a2e:370:7334',
  '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
  'fe80::1ff:fe23:4567:890a',
  '::ffff:192.0.2.128',
  '2001:DB8:0:0:8:800:200C:417A',
  'ff02::2',
];
for (let i = 0; i < 50; i++) {
  valid.push(Array.from({ length: 4 }, () => String(Math.floor(random() * 256))).join('.'));
}
for (let i = 0; i < 30; i++) {
  const groups = Array.from({ length: 8 }, () => randomFrom(random, hex, 1 + Math.floor(random() * 4)));
  valid.push(
    i % 2 === 0 ? groups.join(':') : `${groups.slice(0, 3).join(':')}::${groups.slice(6).join(':')}`,
  );
}

const inUse: [string, string][] = [
  ['http://', ':8080/health'],
  ['connect from ', ' port 5432'],
  ['client_addr=', ''],
];

const misses: string[] = [
  'v1.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '192.168.1.300',
  '01.02.03.04',
  'OID 1.3.6.1.4.1',
  '10:23:45',
  '12:00:00.000',
  'MAC 00:1a:2b:3c:4d:5e',
  '::1',
  '::',
  'a::b::c',
  'std::string',
  'ratio 1:2:3',
  'fe80:::1',
  '1:2:3:4:5:6:7:8:9',
  'g001:db8::1',
];

export const ipAddressCorpus: DetectorCorpus = {
  entity: 'IP_ADDRESS',
  positives: [
    ...embed(valid),
    ...embed(['203.0.113.7', '2001:db8::1', '198.51.100.23'], inUse),
    ['', 'fe80::1', '%eth0'],
    ['[', '2001:db8::2', ']:443'],
    ['', '0x7f.0.0.1', ''],
  ],
  negatives: [...misses, ...NEAR_MISSES],
  // Four numeric parts read as a version or as an address; bare ones are masked as addresses.
  ambiguous: ['version 1.2.3.4', 'driver 10.0.19041.1', 'build 4.18.0.193'],
};
