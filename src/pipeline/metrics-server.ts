// `watchdog watch --listen ADDR` (issue #12): GET /metrics for Prometheus. Read only:
// each scrape renders what the daemon last knew, never asks the engine, and nothing a
// client sends changes anything.

import type { Server } from 'node:http';
import { http } from '../builtins.js';
import { METRICS_CONTENT_TYPE } from '../core/metrics.js';
import { UnknownError, UsageError } from '../errors.js';

export interface ListenAddress {
  /** Empty: every address, IPv6 and IPv4. */
  host: string;
  port: number;
}

export const showAddress = (a: ListenAddress) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export interface MetricsServer {
  /** Where it listens (the port the kernel chose when asked for 0). */
  address: ListenAddress;
  close(): Promise<void>;
}

/** `render` gives null while there is nothing to show yet (503: Prometheus retries);
 *  `warn` hears what goes wrong once it listens (a scrape is never worth the daemon). */
export function serveMetrics(address: ListenAddress, render: () => string | null, warn: (message: string) => void): Promise<MetricsServer> {
  const server: Server = http().createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    } else if (path === '/metrics') {
      let body: string | null;
      try {
        body = render();
      } catch (error) {
        warn(`a scrape of /metrics failed: ${(error as Error).message}`);
        return void response.writeHead(500, { 'content-type': 'text/plain' }).end('the metrics could not be rendered; see the daemon\'s log\n');
      }
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
    const refused = (error: NodeJS.ErrnoException) => {
      const why = `watchdog watch could not listen on ${showAddress(address)} for --listen (${error.code ?? error.message})`;
      // A name that does not resolve is the user's to fix; a port taken may free up.
      reject(error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? new UsageError(`${why}; give an address of this host.`) : new UnknownError(`${why}; choose another address or port, or stop what holds it.`));
    };
    server.once('error', refused);
    const listening = () => {
      server.off('error', refused);
      server.on('error', (error: NodeJS.ErrnoException) => warn(`the metrics server: ${error.code ?? error.message}`));
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
    };
    // No host: Node.js listens on every address, IPv6 and IPv4 alike.
    if (address.host) server.listen(address.port, address.host, listening);
    else server.listen(address.port, listening);
  });
}
