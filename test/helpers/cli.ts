// Runs the built watchdog binary as an operator would, capturing what it prints.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES_DIR, containerdOf } from './engine.js';
import { assertValidReport } from './report-schema.js';

export const BIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Where a test run keeps its state, so no test ever writes the host's own
 * /var/lib/docker-watchdog: next to the engine it talks to (and removed with it), or
 * one store per test process for runs without an engine.
 */
export function stateFor(args: string[]): string {
  const host = args[args.indexOf('--host') + 1] ?? '';
  const engineDir = /^unix:\/\/(\/.+)\/docker\.sock$/.exec(host)?.[1];
  return engineDir ? `${engineDir}/state.db` : `${ENGINES_DIR}/cli-state-${process.pid}/state.db`;
}

/** The containerd of the test engine that `--host` names, directly or through a proxy
 *  whose socket is in the engine's folder. */
function containerdFor(args: string[]): Record<string, string> {
  const host = args.includes('--host') ? args[args.indexOf('--host') + 1]! : '';
  const socket = /^unix:\/\/(\/.+)$/.exec(host)?.[1];
  const engineDir = socket ? dirname(socket) : null;
  return engineDir && dirname(engineDir) === ENGINES_DIR ? containerdOf(engineDir) : {};
}

/**
 * The audit (issue #13) reads the host's group and user databases and the engine's
 * daemon.json, and on the test engines (no AppArmor on this kernel, a daemon.json of
 * `{}`) it always has findings. The suites of the other features run without it (their
 * configurations start with this, and a run without one gets auditOffConfig()), so that
 * their exit codes and findings stay theirs and no test reads this machine's
 * /etc/group; test/integration/audit.test.ts runs it, with files of its own.
 */
export const AUDIT_OFF = 'audit:\n  enabled: false\n';

/** A configuration that is the defaults with the audit off (above). */
export function auditOffConfig(): string {
  const path = `${ENGINES_DIR}/audit-off.yaml`;
  if (!existsSync(path)) {
    mkdirSync(ENGINES_DIR, { recursive: true });
    writeFileSync(path, AUDIT_OFF);
  }
  return path;
}

/** The commands that read the configuration to look at the host. */
const RUNS = new Set(['report', 'check', 'rotate', 'prune', 'drift', 'watch']);

/** ARGS with -c auditOffConfig() when they run on the host without a configuration. */
export function withAuditOff(args: string[]): string[] {
  return RUNS.has(args[0] ?? '') && !args.includes('-c') && !args.includes('--config') ? [...args, '-c', auditOffConfig()] : args;
}

export function runWatchdog(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return spawnWatchdog([], args, env);
}

/** runWatchdog as nobody (uid and gid 65534, no groups): a user who may use an open
 *  socket but not read the engine's files. ARGS must name a --state that user may write. */
export function runWatchdogAsNobody(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return spawnWatchdog(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], args, env);
}

function spawnWatchdog(wrapper: string[], args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const configured = withAuditOff(args);
  const withState = configured.includes('--state') ? configured : [...configured, '--state', stateFor(args)];
  const [command, ...commandArgs] = [...wrapper, process.execPath, BIN, ...withState];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, commandArgs, { env: { ...process.env, NO_COLOR: '1', ...containerdFor(args), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `watchdog report --json` against an engine, parsed, and checked against the
 *  published schema: every engine test that reads a report checks the contract too. */
export async function reportJson(host: string, extra: string[] = [], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; report: any; stderr: string }> {
  const result = await runWatchdog(['report', '--json', '--host', host, ...extra], env);
  if (!result.stdout.trim()) throw new Error(`no report (exit ${result.code}): ${result.stderr}`);
  const report = JSON.parse(result.stdout);
  assertValidReport(report);
  return { code: result.code, report, stderr: result.stderr };
}
