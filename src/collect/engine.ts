// Engine collector: versions, storage driver, DockerRootDir, and whether its files are
// on this host.

import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EngineFacts } from '../core/model.js';
import { usesContainerdImageStore } from '../core/storage.js';
import type { EngineClient } from '../engine/client.js';
import type { InfoResponse, VersionResponse } from '../engine/shapes.js';

export async function canRead(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function collectEngine(client: EngineClient): Promise<{ engine: EngineFacts; info: InfoResponse }> {
  // /version only adds the API version: its failure must not cost the rest.
  const [info, version] = await Promise.all([client.info(), client.version().catch(() => ({}) as VersionResponse)]);
  const dockerRootDir = info.DockerRootDir ?? '';
  return {
    info,
    engine: {
      id: info.ID ?? '',
      hostName: info.Name ?? '',
      host: client.address.url,
      serverVersion: info.ServerVersion ?? version.Version ?? 'unknown',
      apiVersion: version.ApiVersion ?? 'unknown',
      storageDriver: info.Driver ?? 'unknown',
      dockerRootDir,
      // Confirmed against the engine's containers once they are listed (collect/index.ts):
      // a remote engine's root may share its path with a local one.
      local: dockerRootDir !== '' && (await canRead(join(dockerRootDir, 'containers'))),
      sameHost: client.address.kind === 'unix' && info.Name === hostname(),
      containerdImageStore: usesContainerdImageStore(info.DriverStatus ?? []),
    },
  };
}
