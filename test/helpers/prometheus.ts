// A real Prometheus and a real Alertmanager (Debian's binaries) for the metrics tests
// (issue #12), run as child processes of the test on 127.0.0.1 with data folders of their
// own, never as the host's services; a webhook receiver (node:http on 127.0.0.1) that
// keeps every notification Alertmanager POSTs; and promtool's lint of an exposition.
// Nothing here listens on another address or talks to one: Alertmanager runs without its
// cluster (no gossip), Prometheus scrapes and alerts only what its configuration names.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from './wait.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const PROMTOOL = '/usr/bin/promtool';
export const AMTOOL = '/usr/bin/amtool';

/** Throws one sentence naming the Debian package when BINARY is not there. */
export function requireBinary(binary: string, debianPackage: string): void {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`${binary} is missing: install Debian's ${debianPackage} package (apt-get install ${debianPackage}).`);
  }
}

/** A TCP port free on 127.0.0.1 a moment ago (listen on 0, read it, close). Another
 *  process may take it before it is used: the starters below retry on a bind failure. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  name: string;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** 127.0.0.1:PORT */
  address: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stderr so far (its log, at warn level). */
  stderr(): string;
  running(): boolean;
  /** SIGTERM, SIGKILL after timeoutMs; then its data folder is removed. */
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ServerProcess>();

/** Stops every Prometheus and Alertmanager started here (for afterAll/afterEach). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n') || '(empty)';

interface Launch {
  name: string;
  binary: string;
  debianPackage: string;
  args: (port: number, dataDir: string) => string[];
  /** Where the data folder is made (mkdtemp); os.tmpdir() by default. */
  parent?: string;
  readyTimeoutMs?: number;
}

/** Starts the binary on a free port, waits for GET /-/ready to answer 200, and tries
 *  another port (at most 3 in all) when the one it got was taken meanwhile. */
async function launch(spec: Launch): Promise<ServerProcess> {
  requireBinary(spec.binary, spec.debianPackage);
  let lastError: Error | null = null;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(spec.parent ?? tmpdir(), `wdt-${spec.name.toLowerCase()}-`));
    const server = spawnServer(spec, port, dataDir);
    try {
      await waitReady(server, spec.readyTimeoutMs ?? 30_000);
      return server;
    } catch (error) {
      await server.stop();
      lastError = error as Error;
      if (!/address already in use/i.test(server.stderr())) break;
    }
  }
  throw lastError!;
}

function spawnServer(spec: Launch, port: number, dataDir: string): ServerProcess {
  // Its working folder is its data folder: nothing it might write lands in the checkout.
  const child = spawn(spec.binary, spec.args(port, dataDir), { cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.on('error', (error) => (stderr += `(spawn failed: ${error.message})`));
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      stderr += `\n(${spec.name} exited ${code ?? signal})`;
      resolve();
    }),
  );
  const server: ServerProcess = {
    name: spec.name,
    url: `http://127.0.0.1:${port}`,
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    child,
    stderr: () => stderr,
    running: () => !exited,
    async stop(timeoutMs = 10_000) {
      live.delete(server);
      if (!exited) {
        child.kill('SIGTERM');
        const timer = sleep(timeoutMs).then(() => 'late' as const);
        if ((await Promise.race([exit, timer])) === 'late' && !exited) {
          child.kill('SIGKILL');
          await exit;
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  live.add(server);
  return server;
}

async function waitReady(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!server.running()) throw new Error(`${server.name} ended before it was ready on ${server.address}; its stderr:\n${tail(server.stderr())}`);
    try {
      const response = await fetch(`${server.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${server.name} not ready on ${server.address} within ${timeoutMs} ms (last answer: ${last}); its stderr:\n${tail(server.stderr())}`);
}

/** Prometheus on CONFIGFILE (rule_files relative to it), TSDB in a folder of its own. */
export function startPrometheus(configFile: string, options: { parent?: string } = {}): Promise<ServerProcess> {
  return launch({
    name: 'Prometheus',
    binary: PROMETHEUS,
    debianPackage: 'prometheus',
    parent: options.parent,
    args: (port, dataDir) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // The links in its alerts (generatorURL) name this address, not the host's name.
      `--web.external-url=http://127.0.0.1:${port}/`,
      // Debian's defaults point at /etc/prometheus: nothing of the host's is read.
      `--web.console.templates=${dataDir}/consoles`,
      `--web.console.libraries=${dataDir}/console_libraries`,
      '--log.level=warn',
    ],
  });
}

/** Alertmanager on CONFIGFILE, clustering off (an empty --cluster.listen-address: no
 *  gossip port, no peers), its silences and notification log in a folder of its own. */
export function startAlertmanager(configFile: string, options: { parent?: string } = {}): Promise<ServerProcess> {
  return launch({
    name: 'Alertmanager',
    binary: ALERTMANAGER,
    debianPackage: 'prometheus-alertmanager',
    parent: options.parent,
    args: (port, dataDir) => [
      `--config.file=${configFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}/`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
  });
}

/** GET PATH of a started server as JSON (the HTTP APIs, for waits and failure messages). */
export async function getJson(server: ServerProcess, path: string): Promise<any> {
  const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${server.name} answered GET ${path} with HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return response.json();
}

// --- The webhook receiver -----------------------------------------------------------

/** One alert of a webhook payload (Alertmanager's webhook format, version 4). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface Notification {
  /** The request path: which webhook_configs URL it was sent to. */
  path: string;
  /** Date.now() when its body had arrived. */
  at: number;
  payload: WebhookPayload;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  received: Notification[];
  /** Bodies that were not JSON, with their path. */
  malformed: Array<{ path: string; body: string }>;
  /** The first notification (in arrival order) matching the predicate, as soon as it is
   *  there; rejects after timeoutMs with a summary of what arrived instead. */
  waitFor(predicate: (n: Notification) => boolean, timeoutMs: number, what?: string): Promise<Notification>;
  /** One line per notification so far, for messages. */
  summary(): string;
  close(): Promise<void>;
}

/** A one-line account of a notification: receiver, path, and each alert's status and labels. */
export function describeNotification(n: Notification, since = 0): string {
  const alerts = n.payload.alerts.map((a) => `${a.status} ${Object.entries(a.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}`);
  return `+${n.at - since} ms ${n.path} receiver=${n.payload.receiver} status=${n.payload.status}: ${alerts.join(' | ')}`;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Notification[] = [];
  const malformed: Array<{ path: string; body: string }> = [];
  const listeners = new Set<() => void>();
  const startedAt = Date.now();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      if (request.method !== 'POST') {
        response.writeHead(405).end();
        return;
      }
      try {
        received.push({ path, at: Date.now(), payload: JSON.parse(body) as WebhookPayload });
      } catch {
        malformed.push({ path, body: body.slice(0, 2000) });
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      for (const listener of [...listeners]) listener();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const summary = () => (received.length === 0 ? '(no notification)' : received.map((n) => describeNotification(n, startedAt)).join('\n')) + (malformed.length ? `\n${malformed.length} bodies that were not JSON, the first: ${malformed[0]!.body.slice(0, 300)}` : '');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    malformed,
    summary,
    waitFor(predicate, timeoutMs, what = 'a matching notification') {
      return waitUntil(listeners, () => received.find(predicate), timeoutMs, () => `no ${what} at the webhook within ${timeoutMs} ms; what it received (ms since it started):\n${summary()}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- promtool and amtool -----------------------------------------------------------

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs BINARY (of Debian's DEBIANPACKAGE) with ARGS and INPUT on stdin; never throws for
 *  an exit code, only when it could not run at all. Offline: neither tool connects
 *  anywhere for what is asked of it here. */
export function runTool(binary: string, debianPackage: string, args: string[], input = ''): Promise<ToolResult> {
  requireBinary(binary, debianPackage);
  return new Promise((resolve, reject) => {
    const child = execFile(binary, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (error && code === null) reject(error);
      else resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

/** `promtool check metrics` on an exposition (its stdin): exit 0 and no output is lint clean. */
export function promtoolCheckMetrics(exposition: string): Promise<ToolResult> {
  return runTool(PROMTOOL, 'prometheus', ['check', 'metrics'], exposition);
}
