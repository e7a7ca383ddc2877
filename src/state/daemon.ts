// What the store keeps of the `watchdog watch` daemon (issue #11): its pid, since when
// it runs and its last full pass, for `report`. Whether it still runs is its lease's
// business (pipeline/daemon-lease.ts): a killed daemon leaves this record behind.

import { readMeta, writeMeta, type Db } from './store.js';

export interface DaemonRecord {
  pid: number;
  /** ISO times. */
  since: string;
  lastFullPassAt: string | null;
  /** Logs polled because the kernel's inotify watches ran out. */
  polledLogs: number;
  /** Containers whose drift it found suspicious when they died: the daemon after it
   *  classifies them again, so that its first pass does not mail them RESOLVED. */
  suspicious: string[];
}

const KEY = 'daemon';

export function readDaemonRecord(db: Db): DaemonRecord | null {
  const text = readMeta(db, KEY);
  if (!text) return null;
  try {
    const value = JSON.parse(text) as DaemonRecord;
    return typeof value.pid === 'number' && typeof value.since === 'string' ? { pid: value.pid, since: value.since, lastFullPassAt: value.lastFullPassAt ?? null, polledLogs: value.polledLogs ?? 0, suspicious: Array.isArray(value.suspicious) ? value.suspicious : [] } : null;
  } catch {
    return null;
  }
}

export function writeDaemonRecord(db: Db, record: DaemonRecord): void {
  writeMeta(db, KEY, JSON.stringify(record));
}
