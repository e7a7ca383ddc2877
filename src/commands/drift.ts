// `watchdog drift [CONTAINER...]`: what `docker diff` says about exited containers (or
// the ones named): clean, suspicious (changes outside drift.allow) or not applicable.
// Suspicious ones get their forensic bundle unless --dry-run.

import { writeForensicBundle } from '../act/forensics.js';
import { collectChanges } from '../collect/drift.js';
import { collectSnapshot } from '../collect/index.js';
import { loadConfig } from '../config/config.js';
import { containerDrift, type Drift } from '../core/drift.js';
import { isExited } from '../core/model.js';
import { findContainer } from '../core/plan-rotate.js';
import { table } from '../core/render.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { withLockedStore, type StateOptions } from '../state/index.js';
import { writeJson, type Io } from './io.js';
import { noSuchContainers } from './rotate.js';

export interface DriftOptions extends StateOptions {
  host?: string;
  config?: string;
  containers: string[];
  dryRun: boolean;
  json: boolean;
}

export async function driftCommand(options: DriftOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const { snapshot } = await collectSnapshot(client, { now, skipUsage: true });
    const unknown = options.containers.filter((name) => !findContainer(snapshot.containers, name));
    if (unknown.length > 0) throw noSuchContainers(unknown);
    const targets = options.containers.length > 0 ? options.containers.map((name) => findContainer(snapshot.containers, name)!) : snapshot.containers.filter((c) => isExited(c.state));

    const changes = await collectChanges(client, targets, db);
    const rows: Array<{ id: string; name: string; drift: Drift | null; error: string | null; bundle: string | null }> = [];
    for (const c of targets) {
      const found = changes.get(c.id);
      if (!Array.isArray(found)) {
        rows.push({ id: c.id, name: c.name, drift: null, error: found?.message ?? 'no answer', bundle: null });
        continue;
      }
      const drift = containerDrift(found, c, config.drift.allow);
      let bundle: string | null = null;
      if (drift.status === 'suspicious' && !options.dryRun) {
        const inspect = await client.inspectContainer(c.id);
        if (inspect) bundle = (await writeForensicBundle(client, c, inspect, found, config.logs.archiveDir)).folder;
      }
      rows.push({ id: c.id, name: c.name, drift, error: null, bundle });
    }

    if (options.json) {
      writeJson(io, { dryRun: options.dryRun, containers: rows });
    } else {
      const lines = table([['CONTAINER', 'DRIFT', 'WHY'], ...rows.map((r) => [r.name, r.drift?.status ?? 'unknown', r.drift?.reason ?? `could not be read: ${r.error}`])], ['l', 'l', 'l'], '');
      for (const r of rows) if (r.bundle) lines.push(`${r.name}: forensic bundle in ${r.bundle}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    if (rows.some((r) => (r.drift?.critical.length ?? 0) > 0)) return 2;
    return rows.some((r) => r.drift?.status === 'suspicious' || r.error) ? 1 : 0;
  });
}
