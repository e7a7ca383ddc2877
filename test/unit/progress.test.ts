import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inFlightRegistry } from '../../src/act/in-flight.js';
import { progressLine } from '../../src/pipeline/progress.js';

function capture(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => void (written.push(String(chunk)), done()) });
  return { stream, written };
}

describe('progressLine', () => {
  it('draws nothing in the first second of a scan, so a quick scan leaves no trace', () => {
    const { stream, written } = capture();
    let now = 0;
    const progress = progressLine(stream, inFlightRegistry(), () => now);
    // Time spent before the scan (waiting for the store's lock) does not count.
    now = 5000;
    progress.start();
    for (let i = 1; i <= 100; i++) {
      now = 5000 + i * 9;
      progress.report('inspecting', i, 100);
    }
    progress.end();
    expect(written).toEqual([]);
  });

  it('redraws one line in place at most every 100 ms, always its last state, then erases it', () => {
    const { stream, written } = capture();
    let now = 0;
    const progress = progressLine(stream, inFlightRegistry(), () => now);
    progress.start();
    for (let i = 1; i <= 5000; i++) {
      now = 1000 + i; // 1 ms a container, starting a second in
      progress.report('inspecting', i, 5000);
    }
    progress.end();
    expect(written[0]).toBe('\rwatchdog: inspecting 1 of 5,000 containers\x1b[K');
    expect(written.at(-2)).toBe('\rwatchdog: inspecting 5,000 of 5,000 containers\x1b[K');
    expect(written.at(-1)).toBe('\r\x1b[K');
    // 5 s of scan, a drawing each 100 ms, the last one, the erasing.
    expect(written.length).toBeGreaterThanOrEqual(50);
    expect(written.length).toBeLessThanOrEqual(53);
  });

  it('is erased when a signal stops the run while it is drawn, and not after it was erased', async () => {
    const { stream, written } = capture();
    const inFlight = inFlightRegistry();
    let now = 0;
    const progress = progressLine(stream, inFlight, () => now);
    progress.start();
    now = 1500;
    progress.report('inspecting', 10, 100);
    await inFlight.undoAll('SIGINT');
    expect(written).toEqual(['\rwatchdog: inspecting 10 of 100 containers\x1b[K', '\r\x1b[K']);

    const quiet = capture();
    const other = inFlightRegistry();
    const ended = progressLine(quiet.stream, other, () => now);
    ended.start();
    now = 3000;
    ended.report('inspecting', 10, 100);
    ended.end();
    await other.undoAll('SIGINT');
    expect(quiet.written).toEqual(['\rwatchdog: inspecting 10 of 100 containers\x1b[K', '\r\x1b[K']);
  });
});
