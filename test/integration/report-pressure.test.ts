// Disk pressure made real: engines whose data-root is a small loop-mounted filesystem,
// filled past 90% of its bytes, and separately of its inodes, from inside a container.

import { statfsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportJson } from '../helpers/cli.js';
import { runContainer, startEngine, type TestEngine } from '../helpers/engine.js';

let bytesEngine: TestEngine;
let inodesEngine: TestEngine;

beforeAll(async () => {
  [bytesEngine, inodesEngine] = await Promise.all([startEngine('fill-bytes', 256), startEngine('fill-inodes', 256, 4096)]);
});

afterAll(async () => {
  await Promise.all([bytesEngine?.stop(), inodesEngine?.stop()]);
});

const rootOf = (engine: TestEngine) => `${engine.dir}/root`;

describe('watchdog report under disk pressure', () => {
  it('is critical, exit 2, once the data-root is over 90% full of bytes', async () => {
    const before = await reportJson(bytesEngine.host);
    expect(before.report.findings.filter((f: any) => f.code === 'DATA_SPACE_LOW')).toEqual([]);

    const fs = statfsSync(rootOf(bytesEngine));
    const used = (fs.blocks - fs.bfree) * fs.bsize;
    const target = 0.93 * (used + fs.bavail * fs.bsize);
    const megabytes = Math.ceil((target - used) / 1e6);
    await runContainer(bytesEngine.docker, { name: 'filler', cmd: ['dd', 'if=/dev/zero', 'of=/fill', 'bs=1000000', `count=${megabytes}`] });

    const { code, report } = await reportJson(bytesEngine.host);
    expect(code).toBe(2);
    const after = statfsSync(rootOf(bytesEngine));
    expect(report.storage.data.availableBytes).toBe(after.bavail * after.bsize);
    expect(report.storage.data.totalBytes).toBe(after.blocks * after.bsize);
    expect(report.findings[0]).toMatchObject({ code: 'DATA_SPACE_LOW', severity: 'critical' });
    expect(report.findings[0].message).toMatch(/^data space 9\d\.\d% used/);
    expect(report.findings.some((f: any) => f.code === 'INODES_LOW')).toBe(false);
  });

  it('is critical, exit 2, once the data-root is over 90% full of inodes', async () => {
    const fs = statfsSync(rootOf(inodesEngine));
    const files = Math.ceil(0.93 * fs.files) - (fs.files - fs.ffree);
    await runContainer(inodesEngine.docker, { name: 'many-files', cmd: ['sh', '-c', `mkdir /many && cd /many && seq 1 ${files} | xargs touch`] });

    const { code, report } = await reportJson(inodesEngine.host);
    expect(code).toBe(2);
    const after = statfsSync(rootOf(inodesEngine));
    expect(report.storage.inodes).toEqual({ used: after.files - after.ffree, total: after.files });
    expect(report.findings[0]).toMatchObject({ code: 'INODES_LOW', severity: 'critical' });
    expect(report.findings.some((f: any) => f.code === 'DATA_SPACE_LOW')).toBe(false);
  });
});
