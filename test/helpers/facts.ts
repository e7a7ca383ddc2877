// A container as the collectors describe it, for tables in unit tests and benches:
// a running container with a 100-byte json-file log capped at 10 MB, unless told
// otherwise.

import type { ContainerFacts, ContainerSecurity } from '../../src/core/model.js';
import { logConfigFacts } from '../../src/core/logs.js';

export function facts(parts: Partial<ContainerFacts> = {}): ContainerFacts {
  const id = parts.id ?? 'c1';
  return {
    id,
    name: 'web',
    image: 'nginx',
    state: 'running',
    finishedAt: null,
    createdAt: '2026-11-01T00:00:00.000Z',
    labels: {},
    logConfig: logConfigFacts('json-file', { 'max-size': '10m' }),
    logPath: `/var/lib/docker/containers/${id}/${id}-json.log`,
    logFiles: { path: `/var/lib/docker/containers/${id}/${id}-json.log`, bytes: 100, liveBytes: 100, rotatedFiles: 0, corrupt: false },
    readonlyRootfs: false,
    security: security(),
    sizeRwBytes: 0,
    footprint: null,
    changeToken: null,
    ...parts,
  };
}

/** A json-file log of `bytes` bytes, as measured. */
export const logOf = (bytes: number, path = '/x') => ({ path, bytes, liveBytes: bytes, rotatedFiles: 0, corrupt: false });

/** A container's HostConfig as `docker run` leaves it without flags: nothing shared with
 *  the host, no bind mount. */
export function security(parts: Partial<ContainerSecurity> = {}): ContainerSecurity {
  return { privileged: false, capAdd: [], pidMode: '', ipcMode: '', networkMode: 'bridge', securityOpt: [], devices: [], deviceCgroupRules: [], binds: [], tmpfs: [], writableMounts: [], ...parts };
}
