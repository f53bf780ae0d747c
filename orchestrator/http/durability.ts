/**
 * What the running setup guarantees about an acknowledged order, from the NATS server version
 * and the smallest replica count of the streams and buckets. JetStream acknowledges a write
 * once it is in memory on the replicas; it fsyncs every 2 minutes by default (Jepsen, NATS
 * 2.12.1, Dec 2025), `sync_interval: always` fsyncs every write (2.10+; 2.9 refuses the field).
 */
import type { SystemInfo } from './schemas/system.ts';

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

export function assessDurability(serverVersion: string, replicas: number): SystemInfo['durability'] {
  const syncInterval = versionAtLeast(serverVersion, 2, 10)
    ? 'server setting sync_interval (default: fsync every 2 min; set `sync_interval: always` to fsync every write)'
    : `not configurable on nats-server ${serverVersion} (before 2.10): fsync about every 2 min`;
  if (replicas >= 3) {
    return {
      level: 'os-crash',
      summary: `Every stream and bucket has ${replicas} replicas: an acknowledged order survives a crash, OS crash or power loss of any one node. A power loss of all nodes at once can still lose the last writes not yet fsynced, unless sync_interval is always.`,
      syncInterval,
    };
  }
  return {
    level: 'process-crash',
    summary: `${replicas} replica: an acknowledged order survives any process crash, nats-server included, but not an OS crash or power loss of the NATS host (writes reach disk on the fsync interval). Run 3 nodes with NATS_REPLICAS=3 (and sync_interval: always on 2.10+) to survive losing a machine.`,
    syncInterval,
  };
}
