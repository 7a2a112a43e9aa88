/**
 * @module The retention checkpoint: where a node's chain starts once its oldest events are
 * deleted. It records the seq and hash of the last deleted event, signed with the node key, and
 * lives in `audit_checkpoints` (one row per node). Verify then starts the walk there instead of at
 * seq 1 and the genesis hash, so deleting old events by policy reads as OK while deleting them
 * any other way, or moving the checkpoint without the key, still reads as tampering.
 */
import { signatureValid, signText } from '../audit/chain.js';

/**
 * HMAC-SHA256 (hex) with the node key over `checkpoint|node|seq|hash`. The prefix keeps it apart
 * from the anchor's signature over `node|seq|hash`: otherwise copying the anchor row into the
 * checkpoint table would "legitimise" deleting the whole chain.
 */
export function signCheckpoint(key: Buffer, node: string, seq: number, hash: string): string {
  return signText(key, `checkpoint|${node}|${seq}|${hash}`);
}

/** True when `signature` is the checkpoint signature of (node, seq, hash) under `key`. */
export function checkpointSignatureValid(
  key: Buffer,
  node: string,
  seq: number,
  hash: string,
  signature: string,
): boolean {
  return signatureValid(key, `checkpoint|${node}|${seq}|${hash}`, signature);
}
