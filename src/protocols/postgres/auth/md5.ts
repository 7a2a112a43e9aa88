/**
 * @module PostgreSQL's MD5 password response: `"md5" + md5(md5(password + user) + salt)` in hex.
 * Kept for upstreams that still store MD5 passwords; SCRAM-SHA-256 is preferred whenever offered.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { createHash } from 'node:crypto';

function md5Hex(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** The string to send in a PasswordMessage for AuthenticationMD5Password with `salt` (4 bytes). */
export function md5PasswordResponse(user: string, password: string, salt: Uint8Array): string {
  return `md5${md5Hex(md5Hex(password, user), salt)}`;
}
