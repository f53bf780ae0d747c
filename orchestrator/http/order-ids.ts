import { createHash, randomBytes } from 'node:crypto';
import { ANONYMOUS } from '../ops/audit.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0 && out.length < length) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

const RANDOM_PER_ID = 10;
// Random bytes drawn 4 KiB at a time: a small `randomBytes` call costs as much as a large one.
let randomPool = Buffer.alloc(0);
let randomTaken = 0;

function freshRandom(): Uint8Array {
  if (randomTaken + RANDOM_PER_ID > randomPool.length) {
    randomPool = randomBytes(4096);
    randomTaken = 0;
  }
  randomTaken += RANDOM_PER_ID;
  return randomPool.subarray(randomTaken - RANDOM_PER_ID, randomTaken);
}

/** `ord_` + 10 characters of millisecond time + 16 random: sortable by creation, unguessable. */
export function newOrderId(now = Date.now()): string {
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(now));
  return `ord_${base32(time.subarray(2), 10)}${base32(freshRandom(), 16)}`;
}

/**
 * Whose namespace an Idempotency-Key lives in: the token's label when the request proved a
 * token, else the order's customer. Two clients that pick the same key get two orders, and
 * neither learns (by a 422, or by the other's order coming back) that the other used it.
 */
export type KeyScope = { token: string } | { customer: string };

export const keyScopeOf = (authenticatedAs: string, customerId: string): KeyScope =>
  authenticatedAs !== ANONYMOUS ? { token: authenticatedAs } : { customer: customerId };

/** The same Idempotency-Key in the same scope always names the same order; another scope, another order. */
export function orderIdForKey(idempotencyKey: string, scope: KeyScope): string {
  // JSON keeps the parts apart: no scope and key can be spelled as another pair.
  const material = JSON.stringify('token' in scope ? ['token', scope.token, idempotencyKey] : ['customer', scope.customer, idempotencyKey]);
  return `ord_k${base32(createHash('sha256').update(material).digest(), 25)}`;
}

// The pattern lives in lib/, where the codec checks every order id on the bus against it too.
export { ORDER_ID_PATTERN } from '../../lib/order-id.ts';
