// The cost of one running-container drift check (RUNNING_DRIFT, issue #13), part of
// `npm run bench` (and `npm run bench:running-drift` alone). A throwaway engine runs
// two containers: one that created BENCH_DRIFT_FILES small files under /data (default
// 10,000) and one that changed nothing (the baseline, in the same run). Each check is
// what the watchdog does per container: `docker diff` through its own engine client,
// then the classification against drift.allow. BENCH_RUNS times each (default 7),
// interleaved so that machine noise hits both alike; medians.

import { performance } from 'node:perf_hooks';
import { collectModes } from '../src/collect/modes.js';
import { containerDrift, changesFrom } from '../src/core/drift.js';
import type { ContainerFacts } from '../src/core/model.js';
import { connectEngine } from '../src/engine/client.js';
import { resolveHost } from '../src/engine/host.js';
import { ENGINE_KIND, runContainer, startEngine } from '../test/helpers/engine.js';

const FILES = Number(process.env.BENCH_DRIFT_FILES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ALLOW = ['/tmp/**', '/run/**', '/var/run/**', '/var/tmp/**'];
/** drift.maxModeChecks' default: the SETUID_DRIFT part of a check stats at most this many files. */
const MAX_MODE_CHECKS = Number(process.env.BENCH_MODE_CHECKS ?? 1000);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  console.log(`bench: running-container drift check on a throwaway engine ${ENGINE_KIND} (WDT_ENGINE), ${FILES} files...`);
  // The files take inodes of the engine's small loop filesystem: room for them.
  const engine = await startEngine('bench-drift', 1024, Math.max(65_536, FILES * 4));
  try {
    const started = Date.now();
    // busybox sh: a loop of builtins, one small file each; .done says it is finished.
    const write = `mkdir /data; i=0; while [ $i -lt ${FILES} ]; do echo $i > /data/f$i; i=$((i+1)); done; touch /data/.done`;
    const busy = await runContainer(engine.docker, { name: 'drift-busy', cmd: ['sh', '-c', `${write}; exec sleep 3600`], detach: true });
    const idle = await runContainer(engine.docker, { name: 'drift-idle', cmd: ['sleep', '3600'], detach: true });
    for (;;) {
      const changes = ((await engine.docker.getContainer(busy).changes()) ?? []) as Array<{ Path: string }>;
      if (changes.some((c) => c.Path === '/data/.done')) break;
      if (Date.now() - started > 120_000) throw new Error(`drift-busy did not write its ${FILES} files in 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(`bench: ${FILES} files written in a running container in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const client = connectEngine(resolveHost(engine.host, {}));
    const facts = { labels: {}, readonlyRootfs: false };
    // The whole check, as pipeline/drift.ts driftOf makes it for a running container (no
    // cache): docker diff, the mode of each changed file (SETUID_DRIFT, one request each,
    // at most MAX_MODE_CHECKS), the classification. `ms` is the whole; `diffMs` the diff.
    const once = async (id: string): Promise<{ ms: number; diffMs: number; changes: number; outside: number; stats: number }> => {
      const t0 = performance.now();
      const changes = changesFrom(await client.containerChanges(id));
      const diffMs = performance.now() - t0;
      const container = { id, state: 'running', changeToken: null, ...facts } as unknown as ContainerFacts;
      const modes = (await collectModes(client, [container], new Map([[id, changes]]), MAX_MODE_CHECKS, null)).get(id);
      if (modes instanceof Error) throw modes;
      const drift = containerDrift(changes, facts, ALLOW, modes);
      return { ms: performance.now() - t0, diffMs, changes: changes.length, outside: drift.outside.length, stats: modes?.checked ?? 0 };
    };
    // One warm-up each: the first diff also fills the page cache.
    await once(busy);
    await once(idle);
    const samples = { busy: [] as Array<Awaited<ReturnType<typeof once>>>, idle: [] as Array<Awaited<ReturnType<typeof once>>> };
    // One at a time, as the watchdog checks them.
    for (let i = 0; i < RUNS; i++) {
      samples.busy.push(await once(busy));
      samples.idle.push(await once(idle));
    }
    const row = (name: string, s: typeof samples.busy) => {
      const ms = median(s.map((x) => x.ms));
      const diff = median(s.map((x) => x.diffMs));
      return `${name.padEnd(38)} ${String(s[0]!.changes).padStart(8)} ${String(s[0]!.stats).padStart(6)} ${diff.toFixed(1).padStart(8)} ${ms.toFixed(1).padStart(10)} ${Math.min(...s.map((x) => x.ms)).toFixed(1).padStart(8)} ${Math.max(...s.map((x) => x.ms)).toFixed(1).padStart(8)}`;
    };
    console.log(`\none running-container drift check (docker diff through the watchdog's client, the modes of at most ${MAX_MODE_CHECKS} changed files, drift.allow), ${RUNS} runs each, medians:`);
    console.log(`${'container'.padEnd(38)} ${'changes'.padStart(8)} ${'stats'.padStart(6)} ${'diff ms'.padStart(8)} ${'check ms'.padStart(10)} ${'min'.padStart(8)} ${'max'.padStart(8)}`);
    console.log(row(`${FILES} files under /data`, samples.busy));
    console.log(row('no changes (baseline)', samples.idle));
    const ratio = median(samples.busy.map((x) => x.ms)) / median(samples.idle.map((x) => x.ms));
    const diffRatio = median(samples.busy.map((x) => x.diffMs)) / median(samples.idle.map((x) => x.diffMs));
    console.log(`a layer of ${FILES} files: the check ${ratio.toFixed(1)} x the baseline's (its diff ${diffRatio.toFixed(1)} x); checked once per drift.runningInterval (default 1h) per container, one at a time`);

    // What the diff's lock costs others: an inspect of the same container sent while its
    // diff runs, against one sent alone.
    const inspect = async (): Promise<number> => {
      const t0 = performance.now();
      await client.inspectContainer(busy);
      return performance.now() - t0;
    };
    const alone: number[] = [];
    const during: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      alone.push(await inspect());
      const diff = client.containerChanges(busy);
      await new Promise((resolve) => setTimeout(resolve, 5));
      during.push(await inspect());
      await diff;
    }
    console.log(`inspect of that container, medians: alone ${median(alone).toFixed(1)} ms, sent 5 ms into its diff ${median(during).toFixed(1)} ms`);
  } finally {
    await engine.stop();
  }
}

await main();
