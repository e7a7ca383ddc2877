import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSystemDf, type SystemDfResponse } from '../../src/core/usage.js';

const fixture = (name: string): SystemDfResponse => JSON.parse(readFileSync(new URL(`../fixtures/system-df/${name}`, import.meta.url), 'utf8')) as SystemDfResponse;

const measuredAt = '2026-11-28T12:00:00.000Z';
const at = new Date(measuredAt);

describe('parseSystemDf', () => {
  it('computes the totals from the lists of API 1.41-1.51, as the docker CLI does', () => {
    const usage = parseSystemDf(fixture('api-1.41-engine-20.10.json'), at);
    expect(usage).toEqual({
      measuredAt,
      images: { count: 2, active: 1, sizeBytes: 5_000_000, reclaimableBytes: 3_000_000 },
      containers: { count: 3, active: 1, sizeBytes: 1_500, reclaimableBytes: 500 },
      volumes: { count: 3, active: 1, sizeBytes: 3_000, reclaimableBytes: 2_000 },
      buildCache: { count: 2, active: 1, sizeBytes: 700, reclaimableBytes: 300 },
      sizeRwById: { aaa: 1000, bbb: 500, ccc: 0 },
    });
  });

  it('reads the summaries of API 1.52+, with the containers listed under Items (verbose=1)', () => {
    const usage = parseSystemDf(fixture('api-1.52.json'), at);
    expect(usage).toEqual({
      measuredAt,
      images: { count: 4, active: 2, sizeBytes: 912_345_678, reclaimableBytes: 400_000_000 },
      containers: { count: 3, active: 1, sizeBytes: 20_480, reclaimableBytes: 4_096 },
      volumes: { count: 1, active: 1, sizeBytes: 1_048_576, reclaimableBytes: 0 },
      buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      sizeRwById: { c1: 16_384, c2: 4_096, c3: 0 },
    });
  });

  it('reads the lists of engine 26.1 on the containerd image store (API 1.45), where an image is bigger than LayersSize', () => {
    // Image Size there counts the unpacked snapshot and the compressed content both; the
    // reclaimable share is clamped at zero, as the docker CLI shows it.
    const usage = parseSystemDf(fixture('api-1.45-engine-26.1-containerd.json'), at);
    expect(usage).toEqual({
      measuredAt,
      images: { count: 1, active: 1, sizeBytes: 3_996_672, reclaimableBytes: 0 },
      containers: { count: 1, active: 0, sizeBytes: 2_048, reclaimableBytes: 2_048 },
      volumes: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      sizeRwById: { e60546a8612d43cdf192d60c8f20e74a43387e3db5f234842d5ba47c4d180024: 2_048 },
    });
  });

  it('copes with an engine that has nothing at all (null lists)', () => {
    const empty = { LayersSize: 0, Images: null, Containers: null, Volumes: null, BuildCache: null };
    const zero = { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 };
    expect(parseSystemDf(empty, at)).toEqual({ measuredAt, images: zero, containers: zero, volumes: zero, buildCache: zero, sizeRwById: {} });
  });
});
