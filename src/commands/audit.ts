// `watchdog audit [CONTAINER...]` (issue #13): what on this host is one step from root.
// Gather (with the host's audit facts, whatever audit.enabled says: it governs report
// and check), decide (core/audit.ts), print. With CONTAINERs named, only they are
// audited, not the host. The drift of the exited containers audited is read too, for
// SETUID_DRIFT (cached in the state store like every drift; nothing else is recorded,
// and nothing is changed): a running container's drift is not read here.

import { auditFindings } from '../core/audit.js';
import { driftFindings, unreadableDriftFindings } from '../core/drift.js';
import { isActive } from '../core/model.js';
import { collectorFailures, sortFindings } from '../core/evaluate.js';
import { isExited, type ContainerFacts, type Finding } from '../core/model.js';
import type { Outcome } from '../core/outcome.js';
import { renderAudit } from '../core/render/audit.js';
import { driftOf } from '../pipeline/drift.js';
import { gather, namedContainers, runFindings } from '../pipeline/gather.js';
import { printOutput, type Io, type Output } from '../pipeline/io.js';
import { withRun, type Run, type RunOptions } from '../pipeline/run.js';

export interface AuditOptions extends RunOptions {
  containers: string[];
  json: boolean;
  color: boolean;
}

/** SETUID_DRIFT of the exited containers among those audited, and COLLECTOR_FAILED for
 *  each whose drift could not be read (its check did not run). Only that: whether the
 *  rest of their drift is suspicious is `watchdog drift`'s to say. */
async function setuidOfExited(run: Run, containers: readonly ContainerFacts[]): Promise<Finding[]> {
  const exited = containers.filter((c) => isExited(c.state));
  const drifts = await driftOf(run, exited);
  const rows = exited.map((c) => {
    const found = drifts.get(c.id);
    return { containerId: c.id, name: c.name, drift: found && !(found instanceof Error) ? found.drift : null, error: found instanceof Error ? found.message : found ? null : 'the engine did not answer' };
  });
  return [...driftFindings(rows, run.config.audit.severity).filter((f) => f.code === 'SETUID_DRIFT'), ...unreadableDriftFindings(rows)];
}

export async function auditCommand(options: AuditOptions, io: Io): Promise<Outcome> {
  const { findings, output } = await withRun({ ...options, progress: !options.json }, io, async (run) => {
    const pass = await gather(run, 'skip', { audit: true });
    const host = options.containers.length === 0;
    const containers = host ? pass.snapshot.containers : namedContainers(pass.snapshot, options.containers);
    const failed = collectorFailures(pass.snapshot, host ? ['engine', 'audit'] : ['engine']);
    const setuid = await setuidOfExited(run, containers);
    // Running containers' drift as their last check found it (gather read it): the audit
    // runs no `docker diff`, check and the daemon do.
    const audited = new Set(containers.map((c) => c.id));
    const { lastChecks } = pass.recorded;
    const profiles = pass.recorded.profiles.filter((p) => audited.has(p.containerId));
    const running = pass.recorded.findings.filter((f) => f.containerId !== undefined && audited.has(f.containerId));
    const findings = sortFindings([...runFindings(run, pass), ...failed, ...auditFindings(pass.snapshot, run.config.audit, containers, host), ...setuid, ...running]);
    const { snapshot } = pass;
    const runningDrift = containers.flatMap((c) => {
      const last = isActive(c.state) ? lastChecks.get(c.id) : undefined;
      return last ? [{ containerId: c.id, name: c.name, checkedAt: last.checkedAt, durationMs: last.durationMs, changes: last.changes, status: last.status }] : [];
    });
    const output: Output = options.json ? { json: { schemaVersion: 1, generatedAt: pass.now.toISOString(), engine: snapshot.engine, host, containers: containers.length, runningDrift, profiles, findings } } : { text: renderAudit({ generatedAt: pass.now.toISOString(), engine: snapshot.engine, audit: host ? snapshot.audit : undefined, host, containers: containers.length, findings }, options.color && io.colorCapable) };
    return { findings, output };
  });
  await printOutput(io, output);
  return { findings };
}
