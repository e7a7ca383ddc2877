// `watchdog check`: one pass for a timer or cron. Gather (with what the store
// remembers), decide (findings, rotation and prune plans), act (unless --dry-run),
// record (history, caches, journal), notify, and print only when something happened,
// so cron mails only news. The exit code is the worst finding, as for report.

import prettyBytes from 'pretty-bytes';
import { loadConfig } from '../config/config.js';
import { exitCodeOf } from '../core/evaluate.js';
import type { Finding } from '../core/model.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { alertingNotifier } from '../notify/alerting.js';
import { smtpMailer, type Mailer } from '../notify/email.js';
import { noNotifier, type Action, type Notifier } from '../notify/notifier.js';
import { warner, withLockedStore, type StateOptions } from '../state/index.js';
import { writeJson, type Io } from './io.js';
import { contextLines, gather, record } from './pass.js';
import { journalPrune, prunePass, renderPrune } from './prune.js';
import { renderRotate, rotatePass } from './rotate.js';

export interface CheckOptions extends StateOptions {
  host?: string;
  config?: string;
  dryRun: boolean;
  json: boolean;
}

export async function checkCommand(options: CheckOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));
  // An unreadable password file costs the mail, not the whole pass (rotation, pruning).
  let mailer: Mailer | null = null;
  if (config.alerts.email) {
    try {
      mailer = smtpMailer(config.alerts.email, io.env);
    } catch (error) {
      warner(io)(`no alert email this run: ${(error as Error).message}`);
    }
  }

  return withLockedStore(options, io, async ({ db }, now) => {
    const notifier: Notifier = mailer && !options.dryRun ? alertingNotifier(db, config.alerts, mailer, config.alerts.email!.subjectPrefix, warner(io), () => io.now().getTime()) : noNotifier;
    const pass = await gather(client, db, config, now, false, warner(io));
    const local = pass.snapshot.engine?.local ?? false;
    // On a remote engine logs cannot be rotated: the rest of the pass still runs.
    const rotation = local ? await rotatePass(client, pass.snapshot, config, db, io.now, options.dryRun, null, true) : null;
    const pruning = await prunePass(client, pass.snapshot, config, db, now, options.dryRun);
    // A timer every 5 minutes must not fill the journal with "kept: running": it
    // records what was done, held or would be done (dry run).
    journalPrune(db, pruning, now, options.dryRun, !options.dryRun);
    record(db, pass, warner(io));

    const actions: Action[] = [
      ...(rotation?.results ?? []).map((r): Action => ({ action: 'rotate', target: r.name, outcome: r.outcome, message: r.message, bytesFreed: r.outcome === 'done' ? r.bytesArchived : null, news: r.outcome !== 'skipped' })),
      ...pruning.results.map(
        (r): Action => ({ action: r.outcome === 'held' ? 'hold' : 'prune', target: r.name, outcome: r.outcome, message: r.message, bytesFreed: r.bytesFreed, news: r.outcome === 'held' ? r.newBundle : r.outcome !== 'skipped' }),
      ),
    ];
    // An action that failed is a finding: it reaches the exit code and the alerts, not
    // just the service log. A container left paused is the worst of them.
    const failed: Finding[] = actions
      .filter((a) => a.outcome === 'failed')
      .map((a) => ({ code: 'ACTION_FAILED', severity: /PAUSED/.test(a.message) ? 'critical' : 'warning', message: `${a.action} ${a.target}: ${a.message}` }));
    const findings = [...pass.findings, ...pruning.findings, ...failed];
    await notifier.notify({ at: now, host: pass.snapshot.engine?.hostName ?? '', findings, actions, context: contextLines(pass) });

    const freed = actions.reduce((sum, a) => sum + (a.bytesFreed ?? 0), 0);
    if (options.json) {
      const body = { schemaVersion: 1, generatedAt: now.toISOString(), dryRun: options.dryRun, findings, rotation: rotation && { plan: rotation.plan.items, results: rotation.results, archivesRemoved: rotation.archivesRemoved }, prune: { plan: pruning.items, results: pruning.results }, freedBytes: freed };
      writeJson(io, body);
    } else if (options.dryRun) {
      io.stdout.write(`${rotation ? renderRotate(rotation, false, config.logs.maxSizeBytes) : ''}${renderPrune(pruning, false)}dry run: nothing changed\n`);
    } else {
      // Quiet unless something happened: an action, or one that failed.
      const news = actions.filter((a) => a.news);
      if (news.length > 0) {
        const lines = news.map((a) => `${a.action} ${a.target}: ${a.message}`);
        if (freed > 0) lines.push(`freed ${prettyBytes(freed)}`);
        for (const f of findings.filter((f) => f.severity !== 'info')) lines.push(`${f.severity.toUpperCase()} ${f.code} ${f.message}`);
        io.stdout.write(`${lines.join('\n')}\n`);
      }
    }
    return exitCodeOf(findings);
  });
}
