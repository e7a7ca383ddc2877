// A unix-socket proxy in front of a test engine that records every request line, so a
// test can count the API calls a run makes (inspects, above all).

import { rmSync } from 'node:fs';
import net from 'node:net';

export interface CountingProxy {
  host: string;
  /** Request lines seen so far, e.g. "GET /containers/abc/json". */
  requests(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function countingProxy(engineSocket: string, listenPath: string): Promise<CountingProxy> {
  rmSync(listenPath, { force: true });
  let seen: string[] = [];
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
        if (match) seen.push(`${match[1]} ${match[2]!.replace(/^\/v[\d.]+\//, '/')}`);
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
    reset: () => void (seen = []),
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
