// `watchdog watch --listen ADDR` (issue #12): GET /metrics for Prometheus. Read only:
// each scrape renders what the daemon last knew, never asks the engine, and nothing a
// client sends changes anything.

import { createServer, type Server } from 'node:http';
import { METRICS_CONTENT_TYPE } from '../core/metrics.js';
import { UnknownError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export const showAddress = (a: ListenAddress) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export interface MetricsServer {
  /** Where it listens (the port the kernel chose when asked for 0). */
  address: ListenAddress;
  close(): Promise<void>;
}

/** `render` gives null while there is nothing to show yet (503: Prometheus retries). */
export function serveMetrics(address: ListenAddress, render: () => string | null): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    } else if (path === '/metrics') {
      const body = render();
      if (body === null) return void response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end('no pass has finished yet\n');
      response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(request.method === 'HEAD' ? undefined : body);
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('docker-watchdog: the metrics are at /metrics\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
    }
  });
  // A scrape that stalls must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UnknownError(`watchdog watch could not listen on ${showAddress(address)} for --listen (${error.code ?? error.message}); choose another address or port, or stop what holds it.`)),
    );
    server.listen(address.port, address.host, () => {
      const bound = server.address();
      const port = typeof bound === 'object' && bound ? bound.port : address.port;
      resolve({
        address: { host: address.host, port },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
