// `watchdog report`: gather a snapshot (with what earlier runs remember), decide the
// findings and trends, record this run in the state store, print. Never changes the
// host.

import { loadConfig } from '../config/config.js';
import { exitCodeOf } from '../core/evaluate.js';
import { renderText } from '../core/render.js';
import { buildReport } from '../core/report.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import { warner, withLockedStore, type StateOptions } from '../state/index.js';
import { writeJson, type Io } from './io.js';
import { gather, record } from './pass.js';

export interface ReportOptions extends StateOptions {
  host?: string;
  config?: string;
  json: boolean;
  color: boolean;
  top: number;
  /** Ask the engine for `docker system df` now, whatever the age of the last answer. */
  fresh: boolean;
}

export async function reportCommand(options: ReportOptions, io: Io): Promise<number> {
  const config = await loadConfig(options.config);
  const client = connectEngine(resolveHost(options.host, io.env));

  return withLockedStore(options, io, async ({ db }, now) => {
    const pass = await gather(client, db, config, now, options.fresh, warner(io));
    const report = buildReport(pass.snapshot, pass.findings, pass.timings, pass.trends);
    record(db, pass, warner(io));

    if (options.json) writeJson(io, report);
    else io.stdout.write(renderText(report, { color: options.color && io.colorCapable, now, top: options.top, history: pass.history }));
    return exitCodeOf(pass.findings);
  });
}
