// A fake engine's EngineClient.opening: what the real client asks at once, asked in
// turn of the fake's own ping, info and list, with a handler on every promise as the
// real one has.

import type { EngineClient, Opening } from '../../src/engine/client.js';

export function openingInTurn(client: Pick<EngineClient, 'ping' | 'info' | 'listContainers'>): Opening {
  const ping = client.ping();
  const info = ping.then(() => client.info());
  const active = ping.then(() => client.listContainers('active'));
  for (const answer of [ping, info, active]) answer.catch(() => {});
  return { ping, info, active, cancel: () => {} };
}
