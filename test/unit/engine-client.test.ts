// The engine client's own GETs (issue #14: every run's requests are made on Node.js's
// http, dockerode is loaded only for the rest), against an HTTP server on a unix socket
// that answers as an engine would, or does not answer at all: the timeouts of a hung
// engine are 2 minutes and 10 s, which no test against a real engine waits for. What a
// real engine answers is tested in test/integration (faults.test.ts, state.test.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineRequestError, connectEngine, type EngineClient } from '../../src/engine/client.js';
import { EngineUnreachableError } from '../../src/errors.js';

// dockerode stands in by a fake that counts how often it is made and records the API
// version its modem was given: it must be loaded for a pause, and for no GET.
const made = vi.hoisted(() => ({ clients: 0, paused: [] as Array<{ id: string; version: string | undefined }> }));
vi.mock('dockerode', () => ({
  default: class {
    modem: { version?: string } = {};
    constructor() {
      made.clients += 1;
    }
    getContainer(id: string) {
      return { pause: async () => void made.paused.push({ id, version: this.modem.version }) };
    }
  },
}));

const dir = mkdtempSync(join(tmpdir(), 'wd-client-'));
const socketPath = join(dir, 'engine.sock');
const requests: string[] = [];
/** Paths the server takes and never answers, as a hung engine does. */
let hangOn: RegExp | null = null;
/** The API version the ping names, and how long the ping takes to answer. */
let pingVersion = '1.41';
let pingAfterMs = 0;
/** The requests that had come in when the last ping was answered. */
let beforePingAnswered: string[] = [];
/** Requests left unanswered whose connection the client closed. */
const abandoned: string[] = [];
/** A JSON answer with text of two, three and four bytes a character, sent in pieces
 *  that cut characters in two. */
const WIDE = { Id: 'wide', Name: '/é€😀'.repeat(20_000) };
let server: Server;

function answer(request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '';
  requests.push(`${request.method} ${url}`);
  if (hangOn?.test(url)) return void response.on('close', () => abandoned.push(url)); // a hung engine: the request stays open
  const json = (status: number, body: unknown): void => void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (url === '/_ping') {
    return void setTimeout(() => {
      beforePingAnswered = [...requests];
      response.writeHead(200, pingVersion ? { 'api-version': pingVersion } : {}).end('OK');
    }, pingAfterMs);
  }
  // Asked in no version, or in the newest the client knows: which one, the answer says.
  const askedIn = url.startsWith('/v1.52/') ? '1.52' : url.startsWith('/v') ? null : 'no version';
  if (askedIn && url.replace(/^\/v1\.52/, '') === '/info') return json(200, { ID: 'engine-1', askedIn });
  if (askedIn && url.replace(/^\/v1\.52/, '') === '/containers/json') return json(200, [{ Id: 'c1', askedIn }]);
  if (url === '/v1.41/containers/wide/json') {
    const bytes = Buffer.from(JSON.stringify(WIDE));
    response.writeHead(200, { 'content-type': 'application/json' });
    for (let at = 0; at < bytes.length; at += 4097) response.write(bytes.subarray(at, at + 4097));
    return void response.end();
  }
  if (url === '/v1.41/containers/empty/json') return void response.writeHead(200).end();
  if (url === '/v1.41/containers/proxied/json') return void response.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway\n');
  if (url === '/v1.41/info') return json(200, { ID: 'engine-1', Driver: 'overlay2' });
  if (url === '/v1.41/containers/json' || url === '/v1.41/containers/json?all=1') return json(200, [{ Id: 'c1', Names: ['/web'], State: 'running' }]);
  if (url === '/v1.41/containers/gone/json') return json(404, { message: 'No such container: gone' });
  if (url === '/v1.41/containers/c1/json') return json(200, { Id: 'c1', Name: '/web' });
  if (url === '/v1.41/containers/c1/changes') return void response.writeHead(200, { 'content-type': 'application/json' }).end('null');
  if (url === '/v1.41/system/df?verbose=1') return json(500, { message: 'a disk usage operation is already running' });
  json(404, { message: `page not found: ${url}` });
}

beforeEach(() => {
  hangOn = null;
  pingVersion = '1.41';
  pingAfterMs = 0;
  requests.length = 0;
  abandoned.length = 0;
});
beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const client = (timeouts = { requestMs: 120_000, pingMs: 10_000 }): EngineClient => connectEngine({ kind: 'unix', url: `unix://${socketPath}`, socketPath }, timeouts);

describe('the engine client', () => {
  it("speaks the version the ping negotiated, asks for the active containers as the engine's default list, and reads null answers, without loading dockerode", async () => {
    const engine = client();
    await engine.ping();
    expect(engine.apiVersion()).toBe('1.41');
    expect(await engine.info()).toEqual({ ID: 'engine-1', Driver: 'overlay2' });
    expect(await engine.listContainers('active')).toEqual([{ Id: 'c1', Names: ['/web'], State: 'running' }]);
    await engine.listContainers('all');
    expect(await engine.inspectContainer('c1')).toEqual({ Id: 'c1', Name: '/web' });
    expect(await engine.inspectContainer('gone')).toBeNull();
    expect(await engine.containerChanges('c1')).toEqual([]);
    expect(requests.filter((r) => r.includes('/containers/json'))).toEqual(['GET /v1.41/containers/json', 'GET /v1.41/containers/json?all=1']);
    expect(made.clients).toBe(0);
  });

  it("asks for the engine's facts and active containers with its ping, in the engine's own version (issue #14)", async () => {
    pingAfterMs = 100;
    const opening = client().opening();
    await opening.ping;
    const active = 'GET /containers/json';
    // All three were in before the ping was answered, and are not asked again.
    expect(beforePingAnswered.sort()).toEqual(['GET /_ping', active, 'GET /info']);
    expect(await opening.info).toEqual({ ID: 'engine-1', askedIn: 'no version' });
    expect(await opening.active).toEqual([{ Id: 'c1', askedIn: 'no version' }]);
    expect(requests).toHaveLength(3);
  });

  it('asks again, in the newest version it knows, an engine newer than that', async () => {
    pingVersion = '1.99';
    const opening = client().opening();
    expect(await opening.info).toEqual({ ID: 'engine-1', askedIn: '1.52' });
    expect(await opening.active).toEqual([{ Id: 'c1', askedIn: '1.52' }]);
    expect(requests.filter((r) => r.startsWith('GET /v1.52/'))).toHaveLength(2);
  });

  it('asks in the version negotiated already, once it has pinged', async () => {
    const engine = client();
    await engine.ping();
    requests.length = 0;
    const opening = engine.opening();
    expect(await opening.info).toEqual({ ID: 'engine-1', Driver: 'overlay2' });
    await opening.active;
    expect(requests.map((r) => r.replace(/\?.*$/, '')).sort()).toEqual(['GET /_ping', 'GET /v1.41/containers/json', 'GET /v1.41/info']);
  });

  it('keeps the answers of an engine whose ping names no version, asked once', async () => {
    pingVersion = '';
    const opening = client().opening();
    expect(await opening.info).toEqual({ ID: 'engine-1', askedIn: 'no version' });
    expect(await opening.active).toEqual([{ Id: 'c1', askedIn: 'no version' }]);
    expect(requests).toHaveLength(3);
  });

  it('bounds a question of the opening that the engine never answers, garbage collections meanwhile', async () => {
    // V8's gc(), as main.ts takes it: AbortSignal.any would let a collection take the
    // time limit away (nodejs/node#57736).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    hangOn = /^\/containers\/json/;
    const opening = client({ requestMs: 500, pingMs: 500 }).opening();
    await opening.ping;
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await expect(opening.active).rejects.toThrow(/did not answer GET \/containers\/json within 0\.5 s/);
    await vi.waitFor(() => expect(abandoned).toEqual(['/containers/json']));
  });

  it('gives up what an opening is still asking when it is cancelled', async () => {
    hangOn = /^\/(_ping|info|containers)/;
    const opening = client().opening();
    await vi.waitFor(() => expect(requests).toHaveLength(3));
    opening.cancel();
    await vi.waitFor(() => expect(abandoned.map((url) => url.replace(/\?.*$/, '')).sort()).toEqual(['/_ping', '/containers/json', '/info']));
  });

  it('fails all of an opening whose ping fails, as the ping does, and gives up the other two questions', async () => {
    hangOn = /^\/(_ping|info|containers)/;
    const opening = client({ requestMs: 120_000, pingMs: 300 }).opening();
    await expect(opening.ping).rejects.toThrow(/did not answer GET \/_ping within 0\.3 s/);
    await expect(opening.info).rejects.toThrow(/did not answer GET \/_ping within 0\.3 s/);
    await expect(opening.active).rejects.toThrow(/did not answer GET \/_ping within 0\.3 s/);
    // Not left open for their own 2 minutes, which would keep the process up.
    await vi.waitFor(() => expect(abandoned.map((url) => url.replace(/\?.*$/, '')).sort()).toEqual(['/_ping', '/containers/json', '/info']));
  });

  it('loads dockerode for a pause, once, and gives it the negotiated version', async () => {
    const engine = client();
    await engine.ping();
    await Promise.all([engine.pauseContainer('c1'), engine.pauseContainer('c2')]);
    expect(made.clients).toBe(1);
    expect(made.paused).toEqual([
      { id: 'c1', version: 'v1.41' },
      { id: 'c2', version: 'v1.41' },
    ]);
  });

  it('decodes an answer whose characters arrive cut in two', async () => {
    const engine = client();
    await engine.ping();
    expect(await engine.inspectContainer('wide')).toEqual(WIDE);
  });

  it('says what is wrong with an empty answer, and quotes an answer that is not JSON', async () => {
    const engine = client();
    await engine.ping();
    await expect(engine.inspectContainer('empty')).rejects.toThrow(/^GET \/containers\/empty\/json failed: the engine answered 200 with nothing$/);
    await expect(engine.inspectContainer('proxied')).rejects.toThrow(/^The engine answered 502 to GET \/containers\/proxied\/json: Bad Gateway$/);
  });

  it("says what the engine answered to a request it refused, with the engine's own message", async () => {
    const engine = client();
    await engine.ping();
    const refused = await engine.systemDf().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EngineRequestError);
    expect((refused as EngineRequestError).statusCode).toBe(500);
    expect((refused as Error).message).toBe('The engine answered 500 to GET /system/df: a disk usage operation is already running');
  });

  it('takes an engine that answers no request in time for hung, but lets df alone fail its collector', async () => {
    const engine = client({ requestMs: 300, pingMs: 300 });
    await engine.ping();
    hangOn = /\/(info|system\/df)/;
    const slowDf = await engine.systemDf().catch((error: unknown) => error);
    expect(slowDf).toBeInstanceOf(EngineRequestError);
    expect((slowDf as Error).message).toBe('GET /system/df failed: no answer within 0.3 s');
    const hung = await engine.info().catch((error: unknown) => error);
    expect(hung).toBeInstanceOf(EngineUnreachableError);
    expect((hung as Error).message).toBe(`The Docker engine at unix://${socketPath} did not answer GET /info within 0.3 s. Is dockerd hung? Set DOCKER_HOST or --host to point elsewhere.`);
    // The next request is answered: the hung ones took nothing with them.
    expect(await engine.inspectContainer('c1')).toEqual({ Id: 'c1', Name: '/web' });
    hangOn = /^\/_ping$/;
    const silent = await engine.ping().catch((error: unknown) => error);
    expect(silent).toBeInstanceOf(EngineUnreachableError);
    expect((silent as Error).message).toBe(`The Docker engine at unix://${socketPath} did not answer GET /_ping within 0.3 s. Is dockerd hung? Set DOCKER_HOST or --host to point elsewhere.`);
  });

  it('says an engine whose socket is not there is unreachable', async () => {
    const missing = join(dir, 'none.sock');
    const error = await connectEngine({ kind: 'unix', url: `unix://${missing}`, socketPath: missing })
      .ping()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnreachableError);
    expect((error as Error).message).toBe(`Cannot reach the Docker engine at unix://${missing} (ENOENT). Is dockerd running? Set DOCKER_HOST or --host to point elsewhere.`);
  });
});
