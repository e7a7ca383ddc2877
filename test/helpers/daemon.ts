// `watchdog watch` as a child process for the integration tests: its JSON log lines as
// they come (a test awaits the line it expects, with a timeout that says what the daemon
// printed instead), its exit, and a stop that always ends it. Also the engine outage of
// the daemon tests: only the dockerd of a test engine stopped and started again.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { BIN, withAuditOff } from './cli.js';
import { ENGINE_SCRIPT, ENGINES_DIR, containerdOf } from './engine.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);

/** One line of `watchdog watch --log-format json`. */
export interface DaemonLine {
  at: string;
  event: string;
  message: string;
  [field: string]: any;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Daemon {
  child: ChildProcess;
  pid: number;
  /** Every JSON line so far, in order. */
  lines: DaemonLine[];
  /** When each of `lines` arrived here (Date.now()). */
  arrivals: number[];
  /** stdout lines that were not one JSON object with at, event and message. */
  malformed: string[];
  stderr(): string;
  running(): boolean;
  /** The `count`-th line (from the first) matching the predicate, as soon as it is
   *  there; rejects after timeoutMs, or when the daemon ends first, with what it said. */
  waitFor(what: string, predicate: (line: DaemonLine) => boolean, timeoutMs: number, count?: number): Promise<DaemonLine>;
  /** Resolves with the exit, or null if it still runs after timeoutMs. */
  waitExit(timeoutMs: number): Promise<Exit | null>;
  /** Sends `signal` (SIGTERM by default); SIGKILL if it still runs after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** What it printed lately, for failure messages. */
  transcript(): string;
}

const live = new Set<Daemon>();

/** The containerd of the test engine that -H/--host names (directly, or through a proxy
 *  whose socket is in the engine's folder), as runWatchdog gives it. */
function containerdFor(args: string[]): Record<string, string> {
  const at = Math.max(args.indexOf('--host'), args.indexOf('-H'));
  const socket = at >= 0 ? /^unix:\/\/(\/.+)$/.exec(args[at + 1] ?? '')?.[1] : undefined;
  const engineDir = socket ? dirname(socket) : null;
  return engineDir && dirname(engineDir) === ENGINES_DIR ? containerdOf(engineDir) : {};
}

/** Starts `node dist/main.js ARGS` (e.g. ['watch', '--host', ..., '--log-format', 'json']). */
export function startDaemon(args: string[], env: Record<string, string | undefined> = {}): Daemon {
  const child = spawn(process.execPath, [BIN, ...withAuditOff(args)], { env: { ...process.env, NO_COLOR: '1', ...containerdFor(args), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: DaemonLine[] = [];
  const arrivals: number[] = [];
  const malformed: string[] = [];
  const raw: string[] = [];
  let stderr = '';
  let pending = '';
  let exit: Exit | null = null;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const text of parts) {
      if (!text) continue;
      raw.push(text);
      try {
        const line = JSON.parse(text);
        if (line && typeof line === 'object' && typeof line.at === 'string' && typeof line.event === 'string' && typeof line.message === 'string') {
          lines.push(line);
          arrivals.push(Date.now());
          continue;
        }
      } catch {
        // kept below
      }
      malformed.push(text);
    }
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(daemon);
      resolve(exit);
      notify();
    }),
  );
  child.on('error', (error) => (stderr += `(spawn failed: ${error.message})`));

  const transcript = () => {
    const tail = raw.slice(-40);
    return [
      `daemon pid ${child.pid}: ${exit ? `exited ${exit.code ?? exit.signal}` : 'running'}; ${raw.length} stdout lines${raw.length > tail.length ? `, the last ${tail.length}` : ''}:`,
      ...tail.map((l) => `  ${l}`),
      ...(pending ? [`  (unfinished) ${pending}`] : []),
      `stderr: ${stderr.trim() || '(empty)'}`,
    ].join('\n');
  };

  const daemon: Daemon = {
    child,
    pid: child.pid ?? -1,
    lines,
    arrivals,
    malformed,
    stderr: () => stderr,
    running: () => exit === null,
    transcript,
    waitFor(what, predicate, timeoutMs, count = 1) {
      const look = () => {
        let seen = 0;
        for (const line of lines) if (predicate(line) && ++seen === count) return line;
        if (exit) throw new Error(`the daemon ended before ${what}\n${transcript()}`);
        return undefined;
      };
      return waitUntil(listeners, look, timeoutMs, () => `no ${what} within ${timeoutMs} ms\n${transcript()}`);
    },
    async waitExit(timeoutMs) {
      if (exit) return exit;
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
      clearTimeout(timer);
      return result;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exit) return exit;
      child.kill(signal);
      const ended = await daemon.waitExit(timeoutMs);
      if (ended) return ended;
      child.kill('SIGKILL');
      return exited;
    },
  };
  live.add(daemon);
  return daemon;
}

/** Ends every daemon a test left running (for afterEach): SIGTERM first, so that it
 *  unpauses what it paused, SIGKILL after 12 s. */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...live].map((d) => d.stop('SIGTERM', 12_000)));
}

/** An engine outage: only the engine's dockerd stops (its containers with it), while
 *  containerd, the mounts and the data-root stay (test-engine.sh dockerd-stop). */
export async function stopDockerd(name: string): Promise<void> {
  await run('bash', [ENGINE_SCRIPT, 'dockerd-stop', name], { maxBuffer: 1 << 24 });
}

/** The same dockerd again, as `start` launched it (test-engine.sh dockerd-start). */
export async function startDockerd(name: string): Promise<void> {
  await run('bash', [ENGINE_SCRIPT, 'dockerd-start', name], { maxBuffer: 1 << 24 });
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
