// Which engine to talk to: --host, then DOCKER_HOST, then the local socket, with
// DOCKER_TLS_VERIFY / DOCKER_CERT_PATH as the docker CLI reads them.

import { UsageError } from '../errors.js';

export const DEFAULT_HOST = 'unix:///var/run/docker.sock';

export type EngineAddress =
  | { kind: 'unix'; url: string; socketPath: string }
  | { kind: 'tcp'; url: string; host: string; port: number; tls: boolean; certPath: string | null };

export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): EngineAddress {
  const url = flag ?? (env.DOCKER_HOST || DEFAULT_HOST);
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new UsageError(`The engine address "${url}" has no socket path; write it as unix:///path/to/docker.sock.`);
    return { kind: 'unix', url, socketPath };
  }
  const tcp = /^(tcp|https?):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(url);
  if (tcp) {
    const tls = env.DOCKER_TLS_VERIFY === '1' || tcp[1] === 'https';
    const port = tcp[3] ? Number(tcp[3]) : tls ? 2376 : 2375;
    return { kind: 'tcp', url, host: tcp[2]!, port, tls, certPath: env.DOCKER_CERT_PATH || null };
  }
  throw new UsageError(`The engine address "${url}" is not one this tool can use; give unix:///path/to/docker.sock or tcp://host:port.`);
}
