// `watchdog audit [CONTAINER...]` (issue #13): what on this host is one step from root.
// Gather (with the host's audit facts, whatever audit.enabled says: it governs report
// and check), decide (core/audit.ts), print. Changes nothing and records nothing. With
// CONTAINERs named, only they are audited, not the host.

import { auditFindings, withSeverities } from '../core/audit.js';
import { isActive } from '../core/model.js';
import { runningDriftFindings, type RunningDriftCheck } from '../core/running-drift.js';
import { lastRunningDriftChecks } from '../state/running-drift.js';
import { collectorFailures, sortFindings } from '../core/evaluate.js';
import type { Outcome } from '../core/outcome.js';
import { renderAudit } from '../core/render/audit.js';
import { gather, namedContainers, runFindings } from '../pipeline/gather.js';
import { writeJson, type Io } from '../pipeline/io.js';
import { withRun, type RunOptions } from '../pipeline/run.js';

export interface AuditOptions extends RunOptions {
  containers: string[];
  json: boolean;
  color: boolean;
}

export function auditCommand(options: AuditOptions, io: Io): Promise<Outcome> {
  return withRun(options, io, async (run) => {
    const pass = await gather(run, 'skip', { audit: true });
    const host = options.containers.length === 0;
    const containers = host ? pass.snapshot.containers : namedContainers(pass.snapshot, options.containers);
    const failed = collectorFailures(pass.snapshot, host ? ['engine', 'audit'] : ['engine']);
    // RUNNING_DRIFT as the last check of each running container found it (issue #13):
    // the audit runs no `docker diff`, check and the daemon do.
    const lastChecks = pass.foreignStore ? new Map<string, RunningDriftCheck>() : lastRunningDriftChecks(run.db);
    const running = withSeverities(runningDriftFindings(lastChecks, containers), run.config.audit.severity);
    const findings = sortFindings([...runFindings(run, pass), ...failed, ...auditFindings(pass.snapshot, run.config.audit, containers, host), ...running]);
    const { snapshot } = pass;
    const runningDrift = containers.flatMap((c) => {
      const last = isActive(c.state) ? lastChecks.get(c.id) : undefined;
      return last ? [{ containerId: c.id, name: c.name, checkedAt: last.checkedAt, durationMs: last.durationMs, changes: last.changes, status: last.status }] : [];
    });
    if (options.json) writeJson(io, { schemaVersion: 1, generatedAt: pass.now.toISOString(), engine: snapshot.engine, host, containers: containers.length, runningDrift, findings });
    else io.stdout.write(renderAudit({ generatedAt: pass.now.toISOString(), engine: snapshot.engine, audit: host ? snapshot.audit : undefined, host, containers: containers.length, findings }, options.color && io.colorCapable));
    return { findings };
  });
}
