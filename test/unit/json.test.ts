import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../src/core/render/json.js';
import { writeJson, type Io } from '../../src/pipeline/io.js';

// --json is written in pieces (issue #14); what a script reads must be exactly what
// JSON.stringify makes of the same value, indented or not.
const containers = Array.from({ length: 450 }, (_, i) => ({
  id: `${i}`.padStart(64, 'a'),
  name: `job-${i}\n"quoted"`,
  finishedAt: i % 3 === 0 ? null : new Date(Date.UTC(2026, 10, 29, 0, 0, i)),
  log: { bytes: i * 1000, rotated: [], skipped: undefined, tags: ['a', { b: [1, 2] }] },
  missing: undefined,
}));
const report = {
  schemaVersion: 1,
  nothing: undefined,
  engine: { id: 'x', local: true, nested: { deeper: [1, [2, [3]]] } },
  empty: [],
  emptyObject: {},
  short: [1, null, 'three'],
  containers,
  items: [...Array.from({ length: 250 }, (_, i) => i), undefined, () => 1],
  // What JSON.stringify makes in its own way: holes, a toJSON that gives undefined (the
  // member is left out), boxed primitives, a long array with its own toJSON.
  // eslint-disable-next-line no-sparse-arrays
  holes: Object.assign(new Array(300), { 7: 'seven' }),
  gone: { toJSON: () => undefined },
  boxed: [new String('s'), new Number(1), new Boolean(false)],
  boxedMember: new String('member'),
  ownJson: Object.assign(Array.from({ length: 300 }, (_, i) => i), { toJSON: () => 'summed' }),
  findings: [{ code: 'UNBOUNDED_LOG', message: 'tab\there' }],
  prune: { plan: containers.slice(0, 300), results: [], fn: () => 1, deeper: { plan: containers.slice(100, 350) } },
  at: new Date(Date.UTC(2026, 10, 29)),
};

describe('jsonPieces', () => {
  for (const spaces of [0, 2]) {
    it(`joins to JSON.stringify's text (${spaces ? 'indented' : 'compact'})`, () => {
      const pieces = [...jsonPieces(report, spaces)];
      expect(pieces.join('')).toBe(JSON.stringify(report, null, spaces));
      // The long arrays come a slice at a time (200 items): no piece holds more than
      // about half of the 450 containers.
      expect(pieces.length).toBeGreaterThan(10);
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(JSON.stringify(containers, null, spaces).length * 0.6);
    });
  }

  it('writes what is not an object with members as JSON.stringify does', () => {
    for (const value of [{}, [], [1, 2], 'text', 3, null, undefined, new Date(0), { toJSON: () => 'custom' }, { only: undefined }]) {
      for (const spaces of [0, 2]) expect([...jsonPieces(value, spaces)].join('')).toBe(JSON.stringify(value, null, spaces) ?? 'null');
    }
  });
});

describe('writeJson', () => {
  it('waits for a slow reader instead of queueing the whole output in memory', async () => {
    let text = '';
    let mostQueued = 0;
    // A pipe whose reader takes each write a moment later, as `report --json | jq` does.
    const stdout = new Writable({
      highWaterMark: 16384,
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        setImmediate(done);
      },
    });
    const write = stdout.write.bind(stdout);
    stdout.write = ((chunk: string) => {
      const ok = write(chunk);
      mostQueued = Math.max(mostQueued, stdout.writableLength);
      return ok;
    }) as typeof stdout.write;
    const big = { schemaVersion: 1, containers: Array.from({ length: 20 }, () => containers).flat() };
    await writeJson({ stdout, stdoutIsTerminal: false } as unknown as Io, big);
    expect(text).toBe(`${JSON.stringify(big)}\n`);
    expect(text.length).toBeGreaterThan(1_500_000);
    // Never more than one 64 kB write and the piece that filled it (200 containers).
    expect(mostQueued).toBeLessThan(200_000);
  });
});
