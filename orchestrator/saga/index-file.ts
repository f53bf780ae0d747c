/**
 * The saga index file of this instance, checked against the bucket it indexes: an index built
 * from another bucket (NATS's data was reset, or the file was copied from elsewhere) would list
 * sagas that do not exist and skip ones that do, so it is dropped and rebuilt from the bucket.
 * The bucket is known by its stream's creation time, kept beside the file.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StreamInfo } from '@nats-io/jetstream';
import type { Logger } from '../../lib/logger.ts';
import { SagaIndex } from './saga-index.ts';

const FILES = (path: string) => [path, `${path}-wal`, `${path}-shm`, `${path}.bucket`];

/** Open the index at `path` for the bucket `stream` describes; a fresh one when it belongs to another or is ahead of it. */
export function openSagaIndex(path: string, stream: StreamInfo, logger: Logger): SagaIndex {
  if (path === ':memory:') return new SagaIndex(path);
  mkdirSync(dirname(path), { recursive: true });
  const bucket = `${stream.config.name} created ${stream.created}`;
  const origin = existsSync(`${path}.bucket`) ? readFileSync(`${path}.bucket`, 'utf8') : undefined;
  let index = new SagaIndex(path);
  const reason =
    origin !== undefined && origin !== bucket
      ? `it indexes another bucket (${origin})`
      : index.lastSequence > stream.state.last_seq
        ? `it is ahead of the bucket (sequence ${index.lastSequence} > ${stream.state.last_seq})`
        : origin === undefined && index.lastSequence > 0
          ? 'it does not say which bucket it indexes'
          : undefined;
  if (reason) {
    logger.warn({ path, reason }, 'saga index dropped, rebuilding it from the bucket');
    index.close();
    for (const file of FILES(path)) rmSync(file, { force: true });
    index = new SagaIndex(path);
  }
  writeFileSync(`${path}.bucket`, bucket);
  return index;
}
