/**
 * @module The detectors by entity, in the order the masker runs them. The order also breaks ties
 * between overlapping spans of equal length: the more specific detector (a JWT is also a secret
 * assignment's value, an IBAN also holds digit runs) is listed first.
 */
import type { Entity } from '../entities.js';
import { apiKeyDetector } from './api-key.js';
import { creditCardDetector } from './credit-card.js';
import { emailDetector } from './email.js';
import { ibanDetector } from './iban.js';
import { ipAddressDetector } from './ip-address.js';
import { jwtDetector } from './jwt.js';
import { createPhoneDetector } from './phone.js';
import { secretDetector } from './secret.js';
import { ssnDetector } from './ssn.js';
import type { Detector } from './types.js';

/** Entities from most to least specific: the tie-break order for overlapping spans. */
export const DETECTION_ORDER: readonly Entity[] = [
  'JWT',
  'API_KEY',
  'SECRET',
  'IBAN',
  'CREDIT_CARD',
  'SSN',
  'EMAIL',
  'PHONE',
  'IP_ADDRESS',
];

/** The detector for one entity; PHONE needs the default region for national formats. */
export function createDetector(entity: Entity, region: string): Detector {
  switch (entity) {
    case 'EMAIL':
      return emailDetector;
    case 'CREDIT_CARD':
      return creditCardDetector;
    case 'SSN':
      return ssnDetector;
    case 'PHONE':
      return createPhoneDetector(region);
    case 'IBAN':
      return ibanDetector;
    case 'IP_ADDRESS':
      return ipAddressDetector;
    case 'API_KEY':
      return apiKeyDetector;
    case 'SECRET':
      return secretDetector;
    case 'JWT':
      return jwtDetector;
  }
}
