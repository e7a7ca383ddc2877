// The engine, behind a small interface so collectors and tests never depend on how it is
// reached. What every run asks (ping, info, the container list, inspects, changes, df)
// is a GET of JSON, made here on Node's own http; dockerode carries the rest (archives,
// removals, pauses, the event stream) and is loaded only when one of those is asked:
// loading it, with the https and tls it brings, was 13 ms of a warm report's 200
// (issue #14). This module turns both kinds of failure into errors a user can act on.

import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type Docker from 'dockerode';
import * as builtins from '../builtins.js';
import type { PathStat } from '../core/setuid.js';
import type { SystemDfResponse } from '../core/usage.js';
import { ConfigError, EngineUnreachableError, WatchdogError } from '../errors.js';
import type { EngineAddress } from './host.js';
import type { ContainerInspect, ContainerSummary, InfoResponse } from './shapes.js';

// node:http and node:https are required, not imported (builtins.ts says why).
const http = builtins.http();

/** What a pass asks the engine first (collect/index.ts), all at once: its ping, `docker
 *  info` and the active containers. */
export interface Opening {
  ping: Promise<void>;
  info: Promise<InfoResponse>;
  active: Promise<ContainerSummary[]>;
  /** Gives up what is still being asked: an opening a run no longer uses must not keep
   *  the process up (a hung engine's ping takes 10 s to fail). */
  cancel(): void;
}

export interface EngineClient {
  readonly address: EngineAddress;
  /** Whether the engine answers, and the API version to speak with it from then on. */
  ping(): Promise<void>;
  /** Pings and asks `info` and the active containers at once, without waiting for the
   *  ping's answer to know the API version; each answer is in the version that ping
   *  negotiates (see the implementation). Every promise has a handler: an opening that
   *  is never used raises no unhandled rejection. */
  opening(): Opening;
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

/** A failed request, of engineGet's or of docker-modem's: both carry the same fields. */
interface EngineError extends Error {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
}

function translate(address: EngineAddress, what: string, error: unknown): Error {
  // Already said for the user (a hung engine, from getJson).
  if (error instanceof WatchdogError) return error;
  const e = error as EngineError;
  if (e.code && UNREACHABLE.has(e.code)) return unreachable(address, e.code);
  if (typeof e.statusCode === 'number') {
    const detail = e.json?.message ?? e.message;
    return new EngineRequestError(`The engine answered ${e.statusCode} to ${what}: ${detail}`, e.statusCode);
  }
  return new EngineRequestError(`${what} failed: ${e.message ?? String(error)}`, null);
}

/** The request was cut by its AbortSignal: the engine took longer than allowed. */
const timedOut = (error: unknown): boolean => (error as Error).name === 'AbortError' || (error as EngineError).code === 'ABORT_ERR';

/** A request's signal: its time limit, and `cancel` if given; `settle` once the request
 *  is over. Not AbortSignal.any: that holds its signals weakly, and a timeout signal
 *  that nothing else holds can be collected with its timer, which leaves the request
 *  without a limit (nodejs/node#57736). */
function limitOf(ms: number, cancel?: AbortSignal): { signal: AbortSignal; settle(): void } {
  if (!cancel) return { signal: AbortSignal.timeout(ms), settle: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onCancel = () => controller.abort(cancel.reason);
  cancel.addEventListener('abort', onCancel, { once: true });
  if (cancel.aborted) onCancel();
  return {
    signal: controller.signal,
    settle: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/** An engine that accepts requests and answers none: hung, as far as a run can tell. */
function hung(address: EngineAddress, what: string, ms: number): EngineUnreachableError {
  return new EngineUnreachableError(`The Docker engine at ${address.url} did not answer ${what} within ${ms / 1000} s. Is dockerd hung? Set DOCKER_HOST or --host to point elsewhere.`);
}

/** Where requests go: the engine's socket, or its host and port (with TLS files). */
interface Transport {
  socketPath?: string;
  host?: string;
  port?: number;
  tls: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function transportOf(address: EngineAddress): Transport {
  if (address.kind === 'unix') return { socketPath: address.socketPath, tls: false };
  const transport: Transport = { host: address.host, port: address.port, tls: address.tls };
  if (address.tls && address.certPath) {
    try {
      transport.ca = readFileSync(join(address.certPath, 'ca.pem'));
      transport.cert = readFileSync(join(address.certPath, 'cert.pem'));
      transport.key = readFileSync(join(address.certPath, 'key.pem'));
    } catch (error) {
      throw new ConfigError(`Cannot read the TLS certificates in DOCKER_CERT_PATH ${address.certPath} (${(error as NodeJS.ErrnoException).code}); it must hold ca.pem, cert.pem and key.pem.`);
    }
  }
  return transport;
}

function dockerOptions({ socketPath, host, port, tls, ca, cert, key }: Transport): Docker.DockerOptions {
  // host: undefined, or the modem prefers a DOCKER_HOST it read from the environment.
  if (socketPath) return { socketPath, host: undefined, port: undefined, protocol: 'http' } as Docker.DockerOptions;
  return { host, port, protocol: tls ? 'https' : 'http', ...(ca ? { ca, cert, key } : {}) };
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

/** A GET of the engine's. An answer other than 200 is an error with its statusCode and
 *  the engine's JSON, as docker-modem's are. `signal` bounds the whole request, answer
 *  included. Only the answer's text outlives the request, and it is decoded as it
 *  comes: df's answer is 7 MB at 10,000 containers (issue #14). docker-modem kept its
 *  bytes and its text alive while parsing them; joining the bytes and then decoding
 *  them held three copies for a moment (the pieces, the joined bytes, the text): the
 *  peak of a cold scan at 10,000 containers, 93-98 MB in 5 runs, and 87-97 MB decoded
 *  as it comes. */
async function engineGet(t: Transport, path: string, signal: AbortSignal): Promise<{ headers: IncomingHttpHeaders; text: string }> {
  const { request } = t.tls ? builtins.https() : http;
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.host, port: t.port }),
        ...(t.ca ? { ca: t.ca, cert: t.cert, key: t.key } : {}),
        // Without TLS no server name is sent; given none, the agent works one out, and
        // its first IPv6 check compiles a regular expression: 2.8 ms of every run.
        ...(t.tls ? {} : { servername: '' }),
        path,
        method: 'GET',
        signal,
      },
      (answer) => {
        const chunks: string[] = [];
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          const text = chunks.splice(0).join('');
          if (answer.statusCode === 200) return resolve({ headers: answer.headers, text });
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON (a proxy's page, say): its first words say it.
          }
          reject(Object.assign(new Error(text.trim().slice(0, 200) || `status ${answer.statusCode}`), { statusCode: answer.statusCode, json }));
        });
      },
    );
    sent.on('error', reject);
    sent.end();
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

/** How long the client waits for the engine (tests shorten it). */
export interface EngineTimeouts {
  /** A hung engine must not hang a timer run for ever: requests give up after this. df
   *  can legitimately take minutes on a big host, so it is generous. It bounds a GET
   *  (engineGet) as a whole, answer included: a GET cut by it reads as a hung engine,
   *  but df only fails its collector (boundedGet). Through docker-modem it bounds the
   *  time without a byte from the engine. */
  requestMs: number;
  /** ...but whether the engine answers at all is known quickly. */
  pingMs: number;
}
const ENGINE_TIMEOUTS: EngineTimeouts = { requestMs: 120_000, pingMs: 10_000 };

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

export function connectEngine(address: EngineAddress, timeouts: EngineTimeouts = ENGINE_TIMEOUTS): EngineClient {
  const transport = transportOf(address);
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw translate(address, what, error);
    }
  };
  let engineApiVersion: string | null = null;
  /** Before every path once the engine has said its version (ping): /v1.45/containers/json. */
  let versionPrefix = '';
  /** A GET bounded as a whole, answer included. An engine that answers none in time
   *  is taken for hung (exit 3, and the daemon reconnects), as docker-modem's idle
   *  timeout had it: a cold scan must not wait 2 minutes per container whose lock is
   *  stuck. df alone is allowed to be that slow, and fails only its collector. */
  /** A GET cut after `ms`, or by `cancel`. */
  const limitedGet = (path: string, ms: number, cancel?: AbortSignal) => {
    const limit = limitOf(ms, cancel);
    return engineGet(transport, path, limit.signal).finally(limit.settle);
  };
  const boundedGet = (path: string, onTimeout: () => Error, cancel?: AbortSignal) =>
    limitedGet(`${versionPrefix}${path}`, timeouts.requestMs, cancel).catch((error: unknown) => {
      throw timedOut(error) ? onTimeout() : error;
    });
  const getJson = async <T>(path: string, cancel?: AbortSignal): Promise<T> => {
    const { text } = await boundedGet(path, () => hung(address, `GET ${path.replace(/\?.*$/, '')}`, timeouts.requestMs), cancel);
    if (text === '') throw new Error('the engine answered 200 with nothing');
    return JSON.parse(text) as T;
  };
  // dockerode, for what is not a GET of JSON; made at its first use (see the top).
  let docker: Promise<Docker> | null = null;
  // The event stream is quiet for hours on a calm host: it gets a client without the
  // request timeout, which would cut it after two idle minutes.
  let eventsDocker: Promise<Docker> | null = null;
  const makeDockerode = (options: Docker.DockerOptions) => import('dockerode').then(({ default: Dockerode }) => withoutModemEnv(() => new Dockerode({ ...dockerOptions(transport), ...options })));
  const withVersion = async (made: Promise<Docker>): Promise<Docker> => {
    const client = await made;
    // docker-modem puts this before every path, as boundedGet does.
    (client.modem as { version?: string }).version = versionPrefix ? versionPrefix.slice(1) : undefined;
    return client;
  };
  const dockerode = () => withVersion((docker ??= makeDockerode({ timeout: timeouts.requestMs })));
  const container = async (id: string) => (await dockerode()).getContainer(id);
  const ping = async (cancel?: AbortSignal) => {
    try {
      // As the docker CLI negotiates: /_ping's API-Version header says which API to
      // speak (not /version, which makes the engine ask containerd and run runc).
      const header = (await limitedGet('/_ping', timeouts.pingMs, cancel)).headers['api-version'];
      const apiVersion = Array.isArray(header) ? header[0] : header;
      engineApiVersion = apiVersion ?? null;
      const speak = negotiateApiVersion(apiVersion);
      versionPrefix = speak ? `/v${speak}` : '';
    } catch (error) {
      throw timedOut(error) ? hung(address, 'GET /_ping', timeouts.pingMs) : translate(address, 'GET /_ping', error);
    }
  };
  const info = (cancel?: AbortSignal) => call('GET /info', () => getJson<InfoResponse>('/info', cancel));
  const listContainers = (which: 'all' | 'active', cancel?: AbortSignal) =>
    // The active ones are the engine's default list: its running containers, paused and
    // restarting ones included (dockerd counts both as running; checked on 20.10). At
    // 1,050 containers the engine answered it in 8 ms, a status filter in 12-13 ms, and a
    // warm run waits for that answer (curl, 7 requests each; issue #14).
    call('GET /containers/json', () => getJson<ContainerSummary[]>(which === 'all' ? '/containers/json?all=1' : '/containers/json', cancel));
  return {
    address,
    apiVersion: () => engineApiVersion,
    ping,
    opening: () => {
      const cancel = new AbortController();
      const pinged = ping(cancel.signal);
      // An engine that does not answer the ping answers nothing: the other two are
      // given up, or a hung engine's would keep the process up for their 2 minutes.
      pinged.catch(() => cancel.abort());
      // Asked before the ping has answered, so in no version when this client has not
      // pinged yet: an engine answers a path without one in its default API version,
      // the one its ping names (moby's version middleware), which is what
      // negotiateApiVersion picks unless the engine is newer than NEWEST_KNOWN_API; then
      // the question is asked again, in the version picked. The ping's round trip is
      // then no longer ahead of the other two (issue #14).
      const early = <T>(ask: (cancel?: AbortSignal) => Promise<T>): Promise<T> => {
        const askedWith = versionPrefix;
        const answer = ask(cancel.signal);
        answer.catch(() => {});
        const inVersion = pinged.then(() => (askedWith === versionPrefix || (askedWith === '' && versionPrefix === `/v${engineApiVersion}`) ? answer : ask(cancel.signal)));
        inVersion.catch(() => {});
        return inVersion;
      };
      return { ping: pinged, info: early(info), active: early((signal) => listContainers('active', signal)), cancel: () => cancel.abort() };
    },
    info,
    // verbose=1 makes API 1.52+ engines list the containers (with SizeRw) as older
    // ones always do.
    systemDf: (answered) =>
      call('GET /system/df', async () => {
        const { text } = await boundedGet('/system/df?verbose=1', () => new Error(`no answer within ${timeouts.requestMs / 1000} s`));
        answered?.(text.length);
        return JSON.parse(text) as SystemDfResponse;
      }),
    listContainers,
    containerChanges: (id) =>
      call(`GET /containers/${id.slice(0, 12)}/changes`, async () => {
        // A container with no changes answers `null`.
        const parsed = await getJson<unknown>(`/containers/${encodeURIComponent(id)}/changes`);
        return Array.isArray(parsed) ? (parsed as Array<{ Path: string; Kind: number }>) : [];
      }),
    containerArchive: (id, path) => call(`GET /containers/${id.slice(0, 12)}/archive`, async () => (await container(id)).getArchive({ path }) as Promise<NodeJS.ReadableStream>),
    containerPathStat: async (id, path) => {
      let answer: IncomingMessage;
      try {
        // dockerode's infoArchive: HEAD, the path as a query parameter (encoded by the
        // modem), the answer handed back unread with its headers.
        answer = (await (await container(id)).infoArchive({ path })) as IncomingMessage;
      } catch (error) {
        // The path is gone since `docker diff` (or the container is): nothing to check.
        if ((error as EngineError).statusCode === 404) return null;
        throw translate(address, `HEAD /containers/${id.slice(0, 12)}/archive`, error);
      }
      // No body to a HEAD, but the socket goes back to the pool only once it is read.
      answer.resume();
      return parsePathStatHeader(answer.headers[PATH_STAT_HEADER]);
    },
    removeContainer: (id, removeVolumes) => call(`DELETE /containers/${id.slice(0, 12)}`, async () => void (await (await container(id)).remove({ v: removeVolumes }))),
    pauseContainer: (id) => call(`POST /containers/${id.slice(0, 12)}/pause`, async () => void (await (await container(id)).pause())),
    unpauseContainer: (id) => call(`POST /containers/${id.slice(0, 12)}/unpause`, async () => void (await (await container(id)).unpause())),
    containerEvents: (since) =>
      call('GET /events', async () => {
        const events = await withVersion((eventsDocker ??= makeDockerode({})));
        const filters = { type: ['container'], event: [...CONTAINER_EVENTS] };
        return (await events.getEvents({ ...(since === null ? {} : { since }), filters: JSON.stringify(filters) } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
      }),
    inspectContainer: async (id) => {
      try {
        return await getJson<ContainerInspect>(`/containers/${encodeURIComponent(id)}/json`);
      } catch (error) {
        if ((error as EngineError).statusCode === 404) return null;
        throw translate(address, `GET /containers/${id.slice(0, 12)}/json`, error);
      }
    },
  };
}
