/**
 * Listing a bucket's keys with an end. `kv.keys()` can wait forever when the bucket changes
 * while it is being listed (its end is a pending count of 0 or an idle heartbeat, either of
 * which can be missed); a caller that lists on a timer then never lists again. This bounds it:
 * no end in time is a timeout ("cannot tell now"), and the listing's consumer is stopped.
 */
import type { KV } from '@nats-io/kv';
import { errors as natsErrors } from '@nats-io/nats-core';

/** Every live key matching `filter` (`'*'`: keys of one token), or a TimeoutError after `timeoutMs`. */
export async function listKeys(kv: KV, filter = '>', timeoutMs = 10_000): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  let stop: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stop?.();
      reject(new natsErrors.TimeoutError());
    }, timeoutMs);
  });
  const listing = (async () => {
    const iterator = await kv.keys(filter);
    stop = () => iterator.stop();
    const keys: string[] = [];
    for await (const key of iterator) keys.push(key);
    return keys;
  })();
  try {
    return await Promise.race([listing, expired]);
  } finally {
    clearTimeout(timer);
    listing.catch(() => undefined);
  }
}
