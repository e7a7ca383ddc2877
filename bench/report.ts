// npm run bench: how `watchdog` compares with the docker CLI on a host with many exited
// containers (issue #8's targets). Builds a throwaway engine (test/engine/test-engine.sh)
// with BENCH_CONTAINERS exited containers (default 1000), times one cold report (empty
// state store: every container inspected and measured), then times each command
// BENCH_RUNS times (default 7), interleaved so machine noise hits all alike. Prints
// medians of wall time and peak RSS (GNU time), with ratios against baselines measured
// in the same run: `node -e 0` for start-up, `docker ps -a` for the warm report. Then
// where the warm report's time goes, step by step, and the metrics of that host
// (BENCH_RUNNING running containers beside the exited ones, default 50: issue #12).

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pMap from 'p-map';
import { BIN } from '../test/helpers/cli.js';
import { duOfContainer } from '../test/helpers/du.js';
import { ENGINE_KIND, containerdOf, runContainer, startEngine } from '../test/helpers/engine.js';
import { renderMetrics } from '../src/core/metrics.js';

const exec = promisify(execFile);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** Running containers beside the exited ones: the metrics' per-container series (issue #12). */
const RUNNING = Number(process.env.BENCH_RUNNING ?? 50);

interface Sample {
  seconds: number;
  maxRssKb: number;
  stdout: string;
}

/** Wall time and peak RSS of one command, by GNU time. */
async function measure(command: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const { stdout, stderr } = await exec('/usr/bin/time', ['-f', 'BENCH %e %M', ...command], { env, maxBuffer: 1 << 28 }).catch((e: { stdout: string; stderr: string; code: number }) => {
    // watchdog exits 1 or 2 when it has findings; that is a result, not a failure.
    if (e.code === 1 || e.code === 2) return e;
    throw e;
  });
  const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`no timing for ${command.join(' ')}: ${stderr}`);
  const [, seconds, rss] = line.split(' ');
  return { seconds: Number(seconds), maxRssKb: Number(rss), stdout };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(0)} ms`;

async function main(): Promise<void> {
  console.log(`bench: starting a throwaway engine ${ENGINE_KIND} (WDT_ENGINE) and ${CONTAINERS} exited containers...`);
  const engine = await startEngine('bench', 2048);
  try {
    const started = Date.now();
    const ids = await pMap(
      Array.from({ length: CONTAINERS }, (_, i) => i),
      (i) => runContainer(engine.docker, { name: `bench-${i}`, cmd: ['sh', '-c', 'echo a > /f1; echo b > /f2; echo c > /f3'] }),
      { concurrency: 4 },
    );
    await pMap(
      Array.from({ length: RUNNING }, (_, i) => i),
      (i) => runContainer(engine.docker, { name: `bench-svc-${i}`, cmd: ['sh', '-c', 'seq 1 1000; exec sleep 3600'], detach: true }),
      { concurrency: 4 },
    );
    console.log(`bench: ${CONTAINERS} exited and ${RUNNING} running containers in ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // The test engine's containerd is not where a stock engine's is (test/helpers/engine.ts).
    const env = { ...process.env, DOCKER_HOST: engine.host, ...containerdOf(engine.dir) };
    const report = [process.execPath, BIN, 'report', '--json', '--state', `${engine.dir}/state.db`];
    const commands: Record<string, string[]> = {
      'node -e 0': [process.execPath, '-e', '0'],
      'watchdog --version': [process.execPath, BIN, '--version'],
      'docker ps -a': ['docker', 'ps', '-a'],
      'docker system df -v': ['docker', 'system', 'df', '-v'],
      'watchdog report --json (warm)': report,
    };
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    const cold = await measure(report, env);
    console.log(`bench: cold watchdog report --json (empty state store): ${cold.seconds.toFixed(3)} s, ${(cold.maxRssKb / 1024).toFixed(1)} MB`);
    // The footprint against du(1) over the same containers, found without the watchdog
    // (issue #10's target: within 25 % on the containerd image store).
    const exited = JSON.parse(cold.stdout).exited as { footprintBytes: number; footprintMeasured: number; sizeRwBytes: number };
    const du = (await pMap(ids, (id) => duOfContainer(engine, id), { concurrency: 8 })).reduce((a, b) => a + b, 0);
    console.log(
      `bench: footprint of ${exited.footprintMeasured} exited containers ${exited.footprintBytes} bytes, du ${du} bytes: ${((exited.footprintBytes / du - 1) * 100).toFixed(1)} % off (docker system df: ${exited.sizeRwBytes} bytes)`,
    );
    // One warm-up round (page cache, engine caches), then interleaved rounds.
    for (const command of Object.values(commands)) await measure(command, env);
    for (let run = 0; run < RUNS; run++) {
      for (const [name, command] of Object.entries(commands)) samples[name]!.push(await measure(command, env));
    }

    const wall = (name: string) => median(samples[name]!.map((s) => s.seconds));
    const node = wall('node -e 0');
    const ps = wall('docker ps -a');
    console.log(`\n${CONTAINERS} exited containers, ${RUNS} runs each, medians:`);
    console.log('command                          wall (s)  baseline          ratio  peak RSS (MB)');
    for (const name of Object.keys(commands)) {
      const startup = name === 'node -e 0' || name === 'watchdog --version';
      const [baseline, base] = startup ? ['node -e 0', node] : ['docker ps -a', ps];
      const rss = Math.max(...samples[name]!.map((s) => s.maxRssKb)) / 1024;
      console.log(`${name.padEnd(31)}  ${wall(name).toFixed(3).padStart(8)}  ${baseline.padEnd(16)}  ${(wall(name) / base).toFixed(2).padStart(5)}  ${rss.toFixed(1).padStart(13)}`);
    }
    console.log('(peak RSS: the highest of the runs)');

    const version = wall('watchdog --version');
    const warm = wall('watchdog report --json (warm)');
    console.log(`\nstart-up: watchdog --version ${ms(version)}, node -e 0 ${ms(node)}: ${ms(version - node)} over Node.js itself (target: within 25 ms)`);
    console.log(`warm report: ${(warm / ps).toFixed(2)} x docker ps -a (target: at most 1.50), ${(warm / wall('docker system df -v')).toFixed(2)} x docker system df -v (target: below 1.00)`);

    // Where the warm report's time goes: Node.js itself, loading the command, each
    // collector (from the report's own collectors[]), and the rest (opening and writing
    // the state store, deciding, printing).
    const steps = new Map<string, number[]>();
    for (const s of samples['watchdog report --json (warm)']!) {
      for (const c of JSON.parse(s.stdout).collectors as Array<{ collector: string; seconds: number }>) steps.set(c.collector, [...(steps.get(c.collector) ?? []), c.seconds]);
    }
    const collected = [...steps.values()].reduce((sum, values) => sum + median(values), 0);
    console.log('\nwarm report, step by step (medians):');
    console.log(`  ${'Node.js start-up (node -e 0)'.padEnd(44)} ${ms(node).padStart(7)}`);
    console.log(`  ${'loading the CLI (watchdog --version - node)'.padEnd(44)} ${ms(version - node).padStart(7)}`);
    for (const [collector, values] of steps) console.log(`  ${`collector ${collector}`.padEnd(44)} ${ms(median(values)).padStart(7)}`);
    console.log(`  ${'the rest: command code, store, decide, record, print'.padEnd(44)} ${ms(warm - version - collected).padStart(7)}`);
    console.log(`  ${'total'.padEnd(44)} ${ms(warm).padStart(7)}`);

    // The metrics of that host (issue #12): how many series, how big, and what they add
    // to a run: the store's part (journal counts, outbox) and the rendering, each timed
    // in a fresh process on the warm report's own JSON (a run renders once, cold).
    const reportFile = `${engine.dir}/bench-report.json`;
    writeFileSync(reportFile, samples['watchdog report --json (warm)']!.at(-1)!.stdout);
    const once: Array<{ storeMs: number; renderMs: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./metrics-once.ts', import.meta.url)), reportFile, `${engine.dir}/state.db`]);
      once.push(JSON.parse(stdout));
    }
    const text = renderMetrics({ report: JSON.parse(readFileSync(reportFile, 'utf8')), version: 'bench', store: null });
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const bytes = Buffer.byteLength(text);
    const storeMs = median(once.map((o) => o.storeMs));
    const renderMs = median(once.map((o) => o.renderMs));
    console.log(`\nmetrics of ${CONTAINERS} exited and ${RUNNING} running containers: ${series} series, ${bytes} bytes`);
    console.log(`  in a fresh process (${RUNS} runs, medians): the store's part ${storeMs.toFixed(2)} ms, rendering ${renderMs.toFixed(2)} ms`);
    console.log(`  adds ${(storeMs + renderMs).toFixed(2)} ms to a run (target: under 10 ms)`);
  } finally {
    await engine.stop();
  }
}

await main();
