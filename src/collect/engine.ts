// Engine collector: versions, storage driver, DockerRootDir, and whether its files are
// on this host.

import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EngineFacts } from '../core/model.js';
import { usesContainerdImageStore } from '../core/storage.js';
import type { EngineClient } from '../engine/client.js';
import type { InfoResponse } from '../engine/shapes.js';

export async function canRead(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The engine's facts from its `info` answer (asked with the ping: EngineClient.opening). */
export async function collectEngine(client: EngineClient, answer: Promise<InfoResponse>): Promise<{ engine: EngineFacts; info: InfoResponse }> {
  // The API version comes from the ping (engine/client.ts), not /version: that one
  // makes the engine ask containerd and run runc, every run.
  const info = await answer;
  const dockerRootDir = info.DockerRootDir ?? '';
  return {
    info,
    engine: {
      id: info.ID ?? '',
      hostName: info.Name ?? '',
      host: client.address.url,
      serverVersion: info.ServerVersion ?? 'unknown',
      apiVersion: client.apiVersion() ?? 'unknown',
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
