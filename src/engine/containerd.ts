// containerd, as far as the watchdog needs it (issue #10): on the containerd image store
// (the default of Docker 29) a container's writable layer is a snapshot in containerd's
// snapshotter, keyed by the container's ID in the engine's namespace, and the engine's
// files no longer show where it is. Three calls of containerd's gRPC API tell: Stat (a
// snapshot's parent), Mounts (its directories) and the snapshotter plugin's root.
//
// The messages are declared here with the few fields read (field numbers from
// containerd's api/services/snapshots/v1/snapshots.proto, api/types/mount.proto and
// api/services/introspection/v1/introspection.proto); protobufjs skips the rest.
// Loaded only on the containerd image store: grpc-js is ~40 ms to import.

import { Metadata, credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** Where an engine's containerd listens, and how the address was found (for messages). */
export interface ContainerdEndpoint {
  address: string;
  namespace: string;
  /** "docker info", "CONTAINERD_ADDRESS" or "the default". */
  foundBy: string;
}

const { Type, Field, MapField } = protobuf;
const strings = (name: string, ...fields: Array<[string, number, string, string?]>) => {
  const type = new Type(name);
  for (const [field, id, kind, rule] of fields) type.add(new Field(field, id, kind, rule));
  return type;
};

const SnapshotRequest = strings('SnapshotRequest', ['snapshotter', 1, 'string'], ['key', 2, 'string']);
const Info = strings('Info', ['name', 1, 'string'], ['parent', 2, 'string']);
const StatResponse = new Type('StatResponse').add(new Field('info', 1, 'Info')).add(Info);
const Mount = strings('Mount', ['type', 1, 'string'], ['source', 2, 'string'], ['options', 4, 'string', 'repeated']);
const MountsResponse = new Type('MountsResponse').add(new Field('mounts', 1, 'Mount', 'repeated')).add(Mount);
const PluginsRequest = strings('PluginsRequest', ['filters', 1, 'string', 'repeated']);
const Plugin = strings('Plugin', ['type', 1, 'string'], ['id', 2, 'string']).add(new MapField('exports', 5, 'string', 'string'));
const PluginsResponse = new Type('PluginsResponse').add(new Field('plugins', 1, 'Plugin', 'repeated')).add(Plugin);
// One root so the nested references above resolve.
new protobuf.Root().add(StatResponse).add(MountsResponse).add(PluginsResponse).add(SnapshotRequest).add(PluginsRequest);

type Message = Record<string, unknown>;
const codec = (type: protobuf.Type) => ({
  serialize: (value: Message) => Buffer.from(type.encode(type.fromObject(value)).finish()),
  deserialize: (bytes: Buffer) => type.toObject(type.decode(bytes), { defaults: true, arrays: true, objects: true }) as Message,
});

const METHODS = {
  stat: ['/containerd.services.snapshots.v1.Snapshots/Stat', SnapshotRequest, StatResponse],
  mounts: ['/containerd.services.snapshots.v1.Snapshots/Mounts', SnapshotRequest, MountsResponse],
  plugins: ['/containerd.services.introspection.v1.Introspection/Plugins', PluginsRequest, PluginsResponse],
} as const;

// gRPC status codes.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
const GRPC_UNAVAILABLE = 14;

/** A containerd error with its gRPC status code. */
export class ContainerdError extends Error {
  /** containerd has nothing by that key (NOT_FOUND). */
  readonly notFound: boolean;
  /** containerd did not answer in time, or not at all: asking again will not help. */
  readonly unreachable: boolean;
  constructor(
    message: string,
    readonly grpcCode: number | null,
  ) {
    super(message);
    this.notFound = grpcCode === GRPC_NOT_FOUND;
    this.unreachable = grpcCode === GRPC_UNAVAILABLE || grpcCode === GRPC_DEADLINE_EXCEEDED;
  }
}

export class ContainerdClient {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(readonly endpoint: ContainerdEndpoint) {
    const Generic = makeGenericClientConstructor({}, 'containerd');
    // containerd speaks gRPC over a unix socket; its client sets the authority to
    // "localhost" too.
    this.client = new Generic(`unix://${endpoint.address}`, credentials.createInsecure(), { 'grpc.default_authority': 'localhost' });
    this.metadata.set('containerd-namespace', endpoint.namespace);
  }

  private call(method: keyof typeof METHODS, request: Message): Promise<Message> {
    const [path, requestType, responseType] = METHODS[method];
    const req = codec(requestType);
    const res = codec(responseType);
    return new Promise((resolve, reject) => {
      // Bounded: a containerd that hangs must not hold the run (and its lock).
      const deadline = Date.now() + 10_000;
      this.client.makeUnaryRequest(path, req.serialize, res.deserialize, request, this.metadata, { deadline }, (error: ServiceError | null, value?: Message) => {
        if (error) reject(this.failure(method, error));
        else resolve(value ?? {});
      });
    });
  }

  private failure(method: string, error: ServiceError): ContainerdError {
    // grpc-js appends an empty "Resolution note:" to a connection's failure.
    const detail = (error.details || error.message).replace(/\s*Resolution note:\s*$/, '');
    const { address, foundBy } = this.endpoint;
    const where = `containerd at ${address} (found by ${foundBy})`;
    // The engine's own answer cannot be overridden: the watchdog must see what it sees.
    const next = foundBy === 'docker info' ? "run the watchdog as root on the engine's host, in its mount namespace" : 'set CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE to the ones the engine uses';
    const what = error.code === GRPC_UNAVAILABLE ? `${where} cannot be reached (${detail}); is it running? Else ${next}` : `${where} answered ${method}: ${detail}; ${next}`;
    return new ContainerdError(what, error.code ?? null);
  }

  /** The snapshot's parent's key, or "" when it has none. */
  async parentOf(snapshotter: string, key: string): Promise<string> {
    const answer = await this.call('stat', { snapshotter, key });
    return String((answer.info as Message | undefined)?.parent ?? '');
  }

  /** How containerd would mount an active snapshot: type, source and options. */
  async mounts(snapshotter: string, key: string): Promise<Array<{ type: string; source: string; options: string[] }>> {
    const answer = await this.call('mounts', { snapshotter, key });
    return (answer.mounts as Array<{ type: string; source: string; options: string[] }>) ?? [];
  }

  /** The snapshotter plugin's own folder (its "root" export), null when it has none. */
  async snapshotterRoot(snapshotter: string): Promise<string | null> {
    const answer = await this.call('plugins', { filters: [`type==io.containerd.snapshotter.v1,id==${snapshotter}`] });
    const plugin = (answer.plugins as Array<{ exports: Record<string, string> }>)[0];
    return plugin?.exports.root ?? null;
  }

  close(): void {
    this.client.close();
  }
}
