// Which containerd the watchdog asks about an engine on the containerd image store
// (issue #10): what `docker info` says on API 1.46+, what the operator set, or the
// sockets a stock install uses.

import { describe, expect, it } from 'vitest';
import { containerdEndpoint } from '../../src/collect/snapshots.js';

// The shape of GET /info's Containerd on API 1.46+ (engine 27 and later).
const engine29 = { Containerd: { Address: '/run/containerd/containerd.sock', Namespaces: { Containers: 'moby', Plugins: 'plugins.moby' } } };
const engine26 = {};
const none = () => false;

describe('containerdEndpoint', () => {
  it('takes what docker info says on engines that say it', () => {
    expect(containerdEndpoint(engine29, {}, none)).toEqual({ address: '/run/containerd/containerd.sock', namespace: 'moby', foundBy: 'docker info' });
    const custom = { Containerd: { Address: '/var/run/docker/containerd/containerd.sock', Namespaces: { Containers: 'ci' } } };
    expect(containerdEndpoint(custom, {}, none)).toMatchObject({ address: '/var/run/docker/containerd/containerd.sock', namespace: 'ci' });
  });

  it('takes CONTAINERD_ADDRESS and CONTAINERD_NAMESPACE, as ctr does, from engines that do not say', () => {
    expect(containerdEndpoint(engine26, { CONTAINERD_ADDRESS: '/srv/c.sock', CONTAINERD_NAMESPACE: 'other' }, none)).toEqual({ address: '/srv/c.sock', namespace: 'other', foundBy: 'CONTAINERD_ADDRESS' });
    // A shell's variables for ctr or nerdctl do not beat what the engine itself says.
    expect(containerdEndpoint(engine29, { CONTAINERD_ADDRESS: '/srv/c.sock', CONTAINERD_NAMESPACE: 'other' }, none)).toEqual({ address: '/run/containerd/containerd.sock', namespace: 'moby', foundBy: 'docker info' });
  });

  it('prefers the containerd dockerd starts itself, then a system one, on engines that do not say', () => {
    const exists = (path: string) => path === '/run/docker/containerd/containerd.sock';
    expect(containerdEndpoint(engine26, {}, exists)).toMatchObject({ address: '/run/docker/containerd/containerd.sock', namespace: 'moby' });
    expect(containerdEndpoint(engine26, {}, none)).toMatchObject({ address: '/run/containerd/containerd.sock', namespace: 'moby' });
    expect(containerdEndpoint(engine26, {}, none).foundBy).toMatch(/^the default; set CONTAINERD_ADDRESS/);
  });
});
