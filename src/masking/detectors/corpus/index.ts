/** @module Every detector corpus, in entity order. */
import { apiKeyCorpus } from './api-key.js';
import { creditCardCorpus } from './credit-card.js';
import { emailCorpus } from './email.js';
import { ibanCorpus } from './iban.js';
import { ipAddressCorpus } from './ip-address.js';
import { jwtCorpus } from './jwt.js';
import { phoneCorpus } from './phone.js';
import { secretCorpus } from './secret.js';
import { ssnCorpus } from './ssn.js';
import type { DetectorCorpus } from './types.js';

export const CORPORA: readonly DetectorCorpus[] = [
  emailCorpus,
  creditCardCorpus,
  ssnCorpus,
  phoneCorpus,
  ibanCorpus,
  ipAddressCorpus,
  apiKeyCorpus,
  secretCorpus,
  jwtCorpus,
];
