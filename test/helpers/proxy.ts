// A unix-socket proxy in front of a test engine that records every request line, so a
// test can count the API calls a run makes (inspects, above all).

import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export interface CountingProxy {
  host: string;
  /** Request lines seen so far, e.g. "GET /containers/abc/json". */
  requests(): string[];
  /** The same with their API version as sent, e.g. "GET /v1.45/containers/abc/json". */
  rawRequests(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function countingProxy(engineSocket: string, listenPath: string): Promise<CountingProxy> {
  rmSync(listenPath, { force: true });
  let seen: string[] = [];
  let raw: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    let pending = '';
    client.on('data', (chunk) => {
      // Only GETs without bodies go through here: request lines start each request.
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.[01]$/.exec(line);
        if (match) {
          seen.push(`${match[1]} ${match[2]!.replace(/^\/v[\d.]+\//, '/')}`);
          raw.push(`${match[1]} ${match[2]}`);
        }
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listenPath, resolve));
  return {
    host: `unix://${listenPath}`,
    requests: () => [...seen],
    rawRequests: () => [...raw],
    reset: () => void ((seen = []), (raw = [])),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The engine on a TCP port of 127.0.0.1, as a remote engine would be reached. */
export async function tcpProxy(engineSocket: string): Promise<{ host: string; close(): Promise<void> }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { host: `tcp://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface HoldingProxy {
  host: string;
  /** Resolves with the request line once the next request matching the pattern went
   *  through to the engine. */
  nextHeld(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A proxy that passes a request matching `pattern` to the engine at once but holds the
 * engine's answer for `holdMs`: the engine has acted (a container is paused) while the
 * watchdog still waits, which is the moment a test wants to stop it in.
 */
export async function holdingProxy(engineSocket: string, listenPath: string, pattern: RegExp, holdMs: number): Promise<HoldingProxy> {
  rmSync(listenPath, { force: true });
  let waiting: Array<(line: string) => void> = [];
  const markHeld = (line: string) => {
    for (const resolve of waiting) resolve(line);
    waiting = [];
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    let holdUntil = 0;
    let pending = '';
    client.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      const line = lines.find((l) => pattern.test(l));
      if (line) {
        holdUntil = Date.now() + holdMs;
        markHeld(line);
      }
      upstream.write(chunk);
    });
    // In order: an answer in several chunks must not overtake itself (timers of 400
    // and 399 ms for its first and second chunk would swap them).
    let written = Promise.resolve();
    upstream.on('data', (chunk) => {
      const until = holdUntil;
      written = written.then(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())))).then(() => void client.write(chunk));
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => void written.then(() => client.destroy()));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listenPath, resolve));
  return {
    host: `unix://${listenPath}`,
    nextHeld: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ScriptedProxy {
  host: string;
  /** Request lines answered by a rule so far. */
  answered(): string[];
  /** The engine "dies": every open connection is cut and no new one is accepted. */
  die(): Promise<void>;
  close(): Promise<void>;
}

export interface ProxyRule {
  /** Matched against "METHOD /path" (the API version prefix removed). */
  match: RegExp;
  /** Answered by the proxy instead of the engine. */
  status: number;
  body: object;
}

/**
 * An HTTP proxy in front of a test engine that answers requests matching a rule itself
 * (the engine never sees them: a pause that "fails"), passes the rest through, and
 * calls `after` with each request line the engine answered (to make it die after the
 * 30th removal, say). Streams (events, attach) pass through as they are.
 */
export async function scriptedProxy(engineSocket: string, listenPath: string, rules: ProxyRule[], after: (line: string, proxy: ScriptedProxy) => void = () => {}): Promise<ScriptedProxy> {
  rmSync(listenPath, { force: true });
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    const line = `${request.method} ${(request.url ?? '').replace(/^\/v[\d.]+\//, '/')}`;
    const rule = rules.find((r) => r.match.test(line));
    if (rule) {
      seen.push(line);
      response.writeHead(rule.status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(rule.body));
      return;
    }
    const upstream = http.request({ socketPath: engineSocket, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
      answer.on('end', () => after(line, proxy));
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(listenPath, resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const proxy: ScriptedProxy = {
    host: `unix://${listenPath}`,
    answered: () => [...seen],
    die: async () => {
      const closed = close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    close: () => (server.listening ? close() : Promise.resolve()),
  };
  return proxy;
}
