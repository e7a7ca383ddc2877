// The engine, behind a small interface so collectors and tests never depend on how it is
// reached. dockerode carries the requests; this module turns its failures into errors
// a user can act on.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { PathStat } from '../core/setuid.js';
import type { SystemDfResponse } from '../core/usage.js';
import { ConfigError, EngineUnreachableError, WatchdogError } from '../errors.js';
import type { EngineAddress } from './host.js';
import type { ContainerInspect, ContainerSummary, InfoResponse } from './shapes.js';

export interface EngineClient {
  readonly address: EngineAddress;
  /** Whether the engine answers, and the API version to speak with it from then on. */
  ping(): Promise<void>;
  /** The engine's own API version, as its last ping said; null before, or if it did not. */
  apiVersion(): string | null;
  info(): Promise<InfoResponse>;
  /** Expensive on the engine (walks every writable layer): call at most once a run.
   *  `answered` is told the answer's length (characters) once it is in, before it is
   *  parsed. */
  systemDf(answered?: (length: number) => void): Promise<SystemDfResponse>;
  /** Every container, or only the active ones (running, paused, restarting): the
   *  engine answers the second far faster on a host with many finished containers. */
  listContainers(which: 'all' | 'active'): Promise<ContainerSummary[]>;
  /** Null when the container no longer exists. */
  inspectContainer(id: string): Promise<ContainerInspect | null>;
  /** `docker diff`: walks the whole layer under the container's lock, so it is cached. */
  containerChanges(id: string): Promise<Array<{ Path: string; Kind: number }> | null>;
  /** `GET /containers/{id}/archive`: a tar of one path in the container. */
  containerArchive(id: string, path: string): Promise<NodeJS.ReadableStream>;
  /** `HEAD /containers/{id}/archive`: the engine's lstat of one path in the container
   *  (its mode for SETUID_DRIFT); null when the path (or the container) is gone. Takes
   *  the container's lock like every archive request: ask one path at a time. */
  containerPathStat(id: string, path: string): Promise<PathStat | null>;
  removeContainer(id: string, removeVolumes: boolean): Promise<void>;
  /** Freezes every process of a running container (cgroup freezer). */
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /** `GET /events` for containers' start, die, destroy and rename, from `since` (seconds
   *  since the epoch) on: a stream of JSON lines that lasts until the engine goes away. */
  containerEvents(since: number | null): Promise<NodeJS.ReadableStream>;
}

/** What the daemon follows (issue #11). */
export const CONTAINER_EVENTS = ['start', 'die', 'destroy', 'rename'] as const;

/** An engine request that reached the engine and failed. */
export class EngineRequestError extends WatchdogError {
  constructor(
    message: string,
    readonly statusCode: number | null,
  ) {
    super(message, 'unknown');
  }
}

// Errors of the transport itself, before any HTTP answer: the engine is not there (or
// went away: EPIPE on a kept-alive connection to a dockerd that died, issue #9).
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

function unreachable(address: EngineAddress, code: string): EngineUnreachableError {
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'Run as root or as a member of the docker group, or set DOCKER_HOST or --host to point elsewhere.'
      : 'Is dockerd running? Set DOCKER_HOST or --host to point elsewhere.';
  return new EngineUnreachableError(`Cannot reach the Docker engine at ${address.url} (${code}). ${hint}`);
}

interface ModemError extends Error {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
}

function translate(address: EngineAddress, what: string, error: unknown): Error {
  const e = error as ModemError;
  if (e.code && UNREACHABLE.has(e.code)) return unreachable(address, e.code);
  if (typeof e.statusCode === 'number') {
    const detail = e.json?.message ?? e.message;
    return new EngineRequestError(`The engine answered ${e.statusCode} to ${what}: ${detail}`, e.statusCode);
  }
  return new EngineRequestError(`${what} failed: ${e.message ?? String(error)}`, null);
}

function dockerOptions(address: EngineAddress): Docker.DockerOptions {
  if (address.kind === 'unix') {
    // host: undefined, or the modem prefers a DOCKER_HOST it read from the environment.
    return { socketPath: address.socketPath, host: undefined, port: undefined, protocol: 'http' } as Docker.DockerOptions;
  }
  const options: Docker.DockerOptions = { host: address.host, port: address.port, protocol: address.tls ? 'https' : 'http' };
  if (address.tls && address.certPath) {
    try {
      options.ca = readFileSync(join(address.certPath, 'ca.pem'));
      options.cert = readFileSync(join(address.certPath, 'cert.pem'));
      options.key = readFileSync(join(address.certPath, 'key.pem'));
    } catch (error) {
      throw new ConfigError(`Cannot read the TLS certificates in DOCKER_CERT_PATH ${address.certPath} (${(error as NodeJS.ErrnoException).code}); it must hold ca.pem, cert.pem and key.pem.`);
    }
  }
  return options;
}

/** The newest API whose answers the watchdog knows (the system df shapes of 1.52 are
 *  in test/fixtures). A newer engine is asked in this version, so a shape that changes
 *  later cannot reach the parsers unnoticed. */
export const NEWEST_KNOWN_API = '1.52';

/** The version both sides speak: the engine's own, or NEWEST_KNOWN_API if that is older.
 *  Null when the engine gave none (then requests go unversioned, as before 1.25). */
export function negotiateApiVersion(engine: string | undefined): string | null {
  const parse = (v: string) => v.split('.').map(Number) as [number, number];
  if (!engine || !/^\d+\.\d+$/.test(engine)) return null;
  const [a, b] = [parse(engine), parse(NEWEST_KNOWN_API)];
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? engine : NEWEST_KNOWN_API;
}

/** A GET of the engine's, on the transport the modem uses (its socket, or host and TLS
 *  files), for what docker-modem does not hand back: /_ping's API-Version header, and
 *  system df's answer as text alone (docker-modem keeps the answer's bytes and its text
 *  alive while parsing them: 7 MB each at 10,000 containers, issue #14). An answer
 *  other than 200 is an error with its statusCode and the engine's JSON, as
 *  docker-modem's are. `signal` bounds the whole request, answer included. */
function engineGet(docker: Docker, path: string, signal: AbortSignal): Promise<{ headers: http.IncomingHttpHeaders; text: string }> {
  const o = docker.modem as unknown as { socketPath?: string; host?: string; port?: string | number; protocol?: string; ca?: Buffer; cert?: Buffer; key?: Buffer };
  const transport = o.protocol === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      { socketPath: o.socketPath || undefined, host: o.socketPath ? undefined : o.host, port: o.socketPath ? undefined : o.port, ca: o.ca, cert: o.cert, key: o.key, path, method: 'GET', signal },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          // Only the text outlives this handler: the bytes can be collected as it is parsed.
          const text = Buffer.concat(chunks.splice(0)).toString('utf8');
          if (answer.statusCode === 200) return resolve({ headers: answer.headers, text });
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON: the status alone says it.
          }
          reject(Object.assign(new Error(`status ${answer.statusCode}`), { statusCode: answer.statusCode, json }));
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** The header HEAD /containers/{id}/archive answers with (moby's
 *  ContainerArchiveInfo): base64 of JSON {name, size, mode, mtime, linkTarget}, mode
 *  being Go's os.FileMode. Throws, quoting the value, on anything else: an answer this
 *  code does not understand must not pass for a file without the setuid bit. */
export const PATH_STAT_HEADER = 'x-docker-container-path-stat';

export function parsePathStatHeader(value: string | string[] | undefined): PathStat {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined) throw new Error(`the engine's answer has no ${PATH_STAT_HEADER} header; is it an engine older than API 1.20?`);
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    // Said below, with the value.
  }
  const p = parsed as Partial<Record<keyof PathStat, unknown>> | null;
  // A FileMode is a uint32: anything else is not one.
  if (!p || typeof p !== 'object' || typeof p.mode !== 'number' || !Number.isInteger(p.mode) || p.mode < 0 || p.mode >= 2 ** 32) {
    throw new Error(`the engine's ${PATH_STAT_HEADER} "${header.slice(0, 200)}" is not base64 of JSON with a numeric mode; report it with the engine's version`);
  }
  return {
    name: typeof p.name === 'string' ? p.name : '',
    size: typeof p.size === 'number' ? p.size : 0,
    mode: p.mode,
    mtime: typeof p.mtime === 'string' ? p.mtime : '',
    linkTarget: typeof p.linkTarget === 'string' ? p.linkTarget : '',
  };
}

/** A hung engine must not hang a timer run for ever: requests give up after this. df
 *  can legitimately take minutes on a big host, so it is generous. Through
 *  docker-modem it bounds the time without a byte from the engine, and a request cut
 *  that way reads as an engine gone (exit 3); df's own request (engineGet) is bounded
 *  as a whole, answer included, and fails only the usage collector. */
const REQUEST_TIMEOUT_MS = 120_000;
/** ...but whether the engine answers at all is known quickly. */
const PING_TIMEOUT_MS = 10_000;

// docker-modem merges DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and
// DOCKER_CLIENT_TIMEOUT from the environment into every client, even over explicit
// options, and throws on a malformed one. The address is already resolved from them
// (host.ts), so the client is built with them out of sight.
const MODEM_ENV = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'];
function withoutModemEnv<T>(make: () => T): T {
  const saved = MODEM_ENV.map((name) => [name, process.env[name]] as const);
  for (const name of MODEM_ENV) delete process.env[name];
  try {
    return make();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

export function connectEngine(address: EngineAddress): EngineClient {
  const docker = withoutModemEnv(() => new Docker({ ...dockerOptions(address), timeout: REQUEST_TIMEOUT_MS }));
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw translate(address, what, error);
    }
  };
  let engineApiVersion: string | null = null;
  // The event stream is quiet for hours on a calm host: it gets a client without the
  // request timeout, which would cut it after two idle minutes.
  let eventsDocker: Docker | null = null;
  return {
    address,
    apiVersion: () => engineApiVersion,
    ping: async () => {
      try {
        // As the docker CLI negotiates: /_ping's API-Version header says which API to
        // speak (not /version, which makes the engine ask containerd and run runc).
        const header = (await engineGet(docker, '/_ping', AbortSignal.timeout(PING_TIMEOUT_MS))).headers['api-version'];
        const apiVersion = Array.isArray(header) ? header[0] : header;
        engineApiVersion = apiVersion ?? null;
        const speak = negotiateApiVersion(apiVersion);
        // docker-modem puts this before every path: /v1.45/containers/json.
        if (speak) (docker.modem as { version?: string }).version = `v${speak}`;
      } catch (error) {
        if ((error as Error).name === 'AbortError' || (error as ModemError).code === 'ABORT_ERR') {
          throw new EngineUnreachableError(`The Docker engine at ${address.url} did not answer within ${PING_TIMEOUT_MS / 1000} s. Is dockerd hung? Set DOCKER_HOST or --host to point elsewhere.`);
        }
        throw translate(address, 'GET /_ping', error);
      }
    },
    info: () => call('GET /info', () => docker.info() as Promise<InfoResponse>),
    // verbose=1 makes API 1.52+ engines list the containers (with SizeRw) as older
    // ones always do. A df with no answer in REQUEST_TIMEOUT_MS fails the usage
    // collector alone (the rest of the report stands).
    systemDf: (answered) =>
      call('GET /system/df', async () => {
        const version = (docker.modem as { version?: string }).version;
        const { text } = await engineGet(docker, `${version ? `/${version}` : ''}/system/df?verbose=1`, AbortSignal.timeout(REQUEST_TIMEOUT_MS)).catch((error: ModemError) => {
          throw error.code === 'ABORT_ERR' ? new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`) : error;
        });
        answered?.(text.length);
        return JSON.parse(text) as SystemDfResponse;
      }),
    listContainers: (which) =>
      call('GET /containers/json', () => docker.listContainers(which === 'all' ? { all: true } : { all: true, filters: { status: ['running', 'paused', 'restarting'] } }) as Promise<ContainerSummary[]>),
    containerChanges: (id) =>
      call(`GET /containers/${id.slice(0, 12)}/changes`, async () => {
        const body: unknown = await docker.getContainer(id).changes();
        // A container with no changes answers `null`, which docker-modem hands back
        // unparsed, as a Buffer.
        const parsed: unknown = Buffer.isBuffer(body) ? JSON.parse(body.toString('utf8') || 'null') : body;
        return Array.isArray(parsed) ? (parsed as Array<{ Path: string; Kind: number }>) : [];
      }),
    containerArchive: (id, path) => call(`GET /containers/${id.slice(0, 12)}/archive`, () => docker.getContainer(id).getArchive({ path }) as Promise<NodeJS.ReadableStream>),
    containerPathStat: async (id, path) => {
      let answer: http.IncomingMessage;
      try {
        // dockerode's infoArchive: HEAD, the path as a query parameter (encoded by the
        // modem), the answer handed back unread with its headers.
        answer = (await docker.getContainer(id).infoArchive({ path })) as http.IncomingMessage;
      } catch (error) {
        // The path is gone since `docker diff` (or the container is): nothing to check.
        if ((error as ModemError).statusCode === 404) return null;
        throw translate(address, `HEAD /containers/${id.slice(0, 12)}/archive`, error);
      }
      // No body to a HEAD, but the socket goes back to the pool only once it is read.
      answer.resume();
      return parsePathStatHeader(answer.headers[PATH_STAT_HEADER]);
    },
    removeContainer: (id, removeVolumes) => call(`DELETE /containers/${id.slice(0, 12)}`, async () => void (await docker.getContainer(id).remove({ v: removeVolumes }))),
    pauseContainer: (id) => call(`POST /containers/${id.slice(0, 12)}/pause`, async () => void (await docker.getContainer(id).pause())),
    unpauseContainer: (id) => call(`POST /containers/${id.slice(0, 12)}/unpause`, async () => void (await docker.getContainer(id).unpause())),
    containerEvents: (since) =>
      call('GET /events', async () => {
        eventsDocker ??= withoutModemEnv(() => new Docker(dockerOptions(address)));
        (eventsDocker.modem as { version?: string }).version = (docker.modem as { version?: string }).version;
        const filters = { type: ['container'], event: [...CONTAINER_EVENTS] };
        return (await eventsDocker.getEvents({ ...(since === null ? {} : { since }), filters: JSON.stringify(filters) } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
      }),
    inspectContainer: async (id) => {
      try {
        return (await docker.getContainer(id).inspect()) as unknown as ContainerInspect;
      } catch (error) {
        if ((error as ModemError).statusCode === 404) return null;
        throw translate(address, `GET /containers/${id.slice(0, 12)}/json`, error);
      }
    },
  };
}
