import { describe, expect, it } from 'vitest';
import { resolveHost } from '../../src/engine/host.js';
import { UsageError } from '../../src/errors.js';

describe('resolveHost', () => {
  it('prefers --host, then DOCKER_HOST, then the local socket', () => {
    expect(resolveHost('unix:///a.sock', { DOCKER_HOST: 'unix:///b.sock' })).toMatchObject({ socketPath: '/a.sock' });
    expect(resolveHost(undefined, { DOCKER_HOST: 'unix:///b.sock' })).toMatchObject({ socketPath: '/b.sock' });
    expect(resolveHost(undefined, {})).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(resolveHost(undefined, { DOCKER_HOST: '' })).toMatchObject({ socketPath: '/var/run/docker.sock' });
  });

  it('reads tcp addresses and the TLS variables', () => {
    expect(resolveHost('tcp://10.0.0.5:2375', {})).toEqual({ kind: 'tcp', url: 'tcp://10.0.0.5:2375', host: '10.0.0.5', port: 2375, tls: false, certPath: null });
    expect(resolveHost('tcp://docker.example', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' })).toMatchObject({ port: 2376, tls: true, certPath: '/certs' });
  });

  it.each(['ssh://me@host', 'unix://relative.sock', 'bogus'])('rejects %s with a usage error', (url) => {
    expect(() => resolveHost(url, {})).toThrow(UsageError);
  });
});
