// `watchdog report`: read-only. Gather a snapshot, decide the findings, print them.
// Never changes the host.

import { collectSnapshot } from '../collect/index.js';
import { evaluate, exitCodeOf } from '../core/evaluate.js';
import { renderText } from '../core/render.js';
import { buildReport } from '../core/report.js';
import { connectEngine } from '../engine/client.js';
import { resolveHost } from '../engine/host.js';
import type { Io } from './io.js';

export interface ReportOptions {
  host?: string;
  json: boolean;
  color: boolean;
  top: number;
}

export async function reportCommand(options: ReportOptions, io: Io): Promise<number> {
  const client = connectEngine(resolveHost(options.host, io.env));
  const now = io.now();
  const { snapshot, timings } = await collectSnapshot(client, { now });

  const findings = evaluate(snapshot);
  const report = buildReport(snapshot, findings, timings);

  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report, { color: options.color && io.colorCapable, now, top: options.top }));
  return exitCodeOf(findings);
}
