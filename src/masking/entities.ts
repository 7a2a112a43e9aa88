/**
 * @module The entity kinds content detection knows. The names are the ones the `masking.detect`
 * configuration list accepts and the ones audit events count masks under.
 */

/** Every entity content detection can find, in the order they are documented. */
export const ENTITIES = [
  'EMAIL',
  'CREDIT_CARD',
  'SSN',
  'PHONE',
  'IBAN',
  'IP_ADDRESS',
  'API_KEY',
  'SECRET',
  'JWT',
] as const;

export type Entity = (typeof ENTITIES)[number];

const ENTITY_SET: ReadonlySet<string> = new Set(ENTITIES);

/** Whether a configured name is a known entity (names are upper case, as documented). */
export function isEntity(name: string): name is Entity {
  return ENTITY_SET.has(name);
}
