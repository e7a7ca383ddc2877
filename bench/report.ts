// npm run bench: how `watchdog` scales with the containers on a host, against the docker
// CLI measured in the same run (issue #14; issue #8 before it). Builds a throwaway
// engine (test/engine/test-engine.sh) with BENCH_RUNNING running containers (default 50)
// and grows it through the sizes of BENCH_SIZES exited containers (default 1000,5000;
// BENCH_10K=1 adds 10000). Containers up to 5,000 are run (`docker run`, each writes
// three small files and exits); past 5,000 they are only created (`docker create`:
// state "created", no writes of their own), which is much quicker to build. At each size:
//   - cold `watchdog report --json` (empty state store), once with the page cache dropped
//     (as root; BENCH_DROP_CACHES=0 skips it) and once with the filesystem's caches warm,
//     with where the time went (the report's collectors);
//   - BENCH_RUNS (default 7) interleaved rounds of `docker ps -a`, `docker system df -v`
//     and the warm watchdog commands (their store seeded with the history a timer every
//     5 minutes leaves in a year, as on a real host; one more row on a store of only
//     the bench's own runs), so machine noise hits all alike: medians of wall
//     time, peak RSS (GNU time), ratios against `docker ps -a`. The watchdog runs
//     without NODE_EXTRA_CA_CERTS, as under systemd; with it set here, one more row
//     runs `report --json` with it (benchSize says why);
//   - the engine API calls of a cold and of a warm run, counted at a proxy;
//   - the daemon's peak RSS (VmHWM) after its first full pass.
// Then a table across the sizes. At the first size also: start-up against `node -e 0`,
// the footprint against du(1), the warm report step by step, and the cost of the metrics.
// BENCH_ENGINE=NAME reuses the engine NAME of WDT_ENGINES_DIR and leaves it running.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pMap from 'p-map';
import { BIN } from '../test/helpers/cli.js';
import { duOfContainer } from '../test/helpers/du.js';
import { ENGINE_KIND, TEST_IMAGE, containerdOf, engineNamed, runContainer, startEngine, type TestEngine } from '../test/helpers/engine.js';
import { countingProxy } from '../test/helpers/proxy.js';
import { DEFAULT_CONFIG_PATH } from '../src/config/load.js';
import { renderMetrics } from '../src/core/metrics.js';
import { openStore } from '../src/state/store.js';
import { survivingTimes, writeSteadyHistory } from './steady-history.js';

const exec = promisify(execFile);
const SIZES = (process.env.BENCH_SIZES ?? (process.env.BENCH_10K === '1' ? '1000,5000,10000' : '1000,5000')).split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** Running containers beside the exited ones: the metrics' per-container series (issue #12). */
const RUNNING = Number(process.env.BENCH_RUNNING ?? 50);
/** Past this many, containers are created and never started (see above). */
const RUN_UP_TO = 5000;
const DROP_CACHES = process.env.BENCH_DROP_CACHES !== '0' && process.getuid?.() === 0;
/** The row of `report --json` on a store of only the bench's own runs (benchSize). */
const FEW_RUNS = 'report --json, store of a few runs';
/** The row of `report --json` run with this machine's NODE_EXTRA_CA_CERTS (benchSize). */
const WITH_CA_CERTS = 'report --json, NODE_EXTRA_CA_CERTS';

interface Sample {
  seconds: number;
  maxRssKb: number;
  stdout: string;
}

/** Where a command's output goes while it is measured: a file, as `cmd > file`. Piped
 *  into this process, the docker CLI's many small writes woke it for each and took the
 *  CLI's time up by 20-30 ms at 1,000 containers, more than the watchdog's 64 kB ones. */
const OUTPUT = join(tmpdir(), `watchdog-bench-${process.pid}`);
process.on('exit', () => ['out', 'err', 'time'].forEach((part) => rmSync(`${OUTPUT}.${part}`, { force: true })));

/** Wall time (timed here: GNU time's %e counts in steps of 10 ms, as much as the
 *  differences at 1,000 containers) and peak RSS (by GNU time) of one command. */
async function measure(command: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const out = openSync(`${OUTPUT}.out`, 'w');
  const err = openSync(`${OUTPUT}.err`, 'w');
  let code: number | null;
  const started = performance.now();
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-o', `${OUTPUT}.time`, '-f', '%M', ...command], { env, stdio: ['ignore', out, err] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const seconds = (performance.now() - started) / 1000;
  // watchdog exits 1 or 2 when it has findings; that is a result, not a failure.
  if (code !== 0 && code !== 1 && code !== 2) throw new Error(`${command.join(' ')} exited ${code}: ${readFileSync(`${OUTPUT}.err`, 'utf8')}`);
  // GNU time writes a line of its own before the figure when the command exits non-zero.
  const maxRssKb = Number(readFileSync(`${OUTPUT}.time`, 'utf8').trim().split('\n').at(-1));
  return { seconds, maxRssKb, stdout: readFileSync(`${OUTPUT}.out`, 'utf8') };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (seconds: number): string => `${(seconds * 1000).toFixed(0)} ms`;
const mb = (kb: number): string => (kb / 1024).toFixed(1);

/** Adds exited containers until there are `target` (beside the running ones). */
async function grow(engine: TestEngine, target: number): Promise<void> {
  const have = (await engine.docker.listContainers({ all: true, filters: { name: ['bench-'] } })).filter((c) => !c.Names?.[0]?.startsWith('/bench-svc-')).length;
  const started = Date.now();
  await pMap(
    Array.from({ length: Math.max(0, target - have) }, (_, i) => have + i),
    async (i) => {
      if (i < RUN_UP_TO) return runContainer(engine.docker, { name: `bench-${i}`, cmd: ['sh', '-c', 'echo a > /f1; echo b > /f2; echo c > /f3'] });
      const created = await engine.docker.createContainer({ Image: TEST_IMAGE, name: `bench-${i}`, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      return created.id;
    },
    { concurrency: 8 },
  );
  if (target > have) console.log(`bench: ${have} -> ${target} exited containers in ${((Date.now() - started) / 1000).toFixed(0)} s${target > RUN_UP_TO ? ` (past ${RUN_UP_TO}: docker create)` : ''}`);
}

/** The daemon's peak RSS once its first full pass is done. */
async function daemonPeak(args: string[], env: NodeJS.ProcessEnv): Promise<{ peakKb: number; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('full pass (')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`watchdog watch exited ${code} before its first full pass: ${out}`)));
    });
    const seconds = (performance.now() - started) / 1000;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return { peakKb: Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]), seconds };
  } finally {
    child.kill('SIGTERM');
  }
}

interface SizeResult {
  size: number;
  wall: Record<string, number>;
  rssKb: Record<string, number>;
  apiCold: number;
  apiWarm: number;
}

async function benchSize(engine: TestEngine, size: number, first: boolean): Promise<SizeResult> {
  // The test engine's containerd is not where a stock engine's is (test/helpers/engine.ts).
  // The watchdog runs without NODE_EXTRA_CA_CERTS, as the shipped systemd units run it:
  // Node.js 20 reads and parses that bundle at every start, before any code of ours
  // (nodejs/node#40524; 32 ms here, where the machine sets it for its package registry).
  // With it set, one more row shows what it costs.
  const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...clean } = process.env;
  const env = { ...clean, DOCKER_HOST: engine.host, ...containerdOf(engine.dir) };
  const withCaCerts = extraCaCerts ? { ...env, NODE_EXTRA_CA_CERTS: extraCaCerts } : null;
  const state = `${engine.dir}/bench-state.db`;
  // The built-in defaults, as on a host without /etc/docker-watchdog/config.yaml: a
  // configuration file adds loading its schema (zod and yaml), about 80 ms here, the
  // same at every size. The audit is on: it reads this machine's group file (read only).
  if (existsSync(DEFAULT_CONFIG_PATH)) throw new Error(`${DEFAULT_CONFIG_PATH} exists: the bench measures the built-in defaults; move it aside`);
  const wd = (...args: string[]) => [process.execPath, BIN, ...args, '--state', state];
  const fewRuns = `${state}.few-runs`;
  const forget = (store = state) => ['', '-wal', '-shm'].forEach((suffix) => rmSync(`${store}${suffix}`, { force: true }));
  // A dry run journals why it keeps each container (pipeline/pruning.ts), 1,050 rows a
  // run at 1,000, which no timer's run writes: on the reports' store, 22 rounds of them
  // made it 6.2 MB instead of 1.9 and each report 4 ms slower (the store's quick_check).
  // The dry runs get a copy of the reports' store, made again before each round.
  const dryRuns = `${state}.dry-runs`;
  const copyForDryRuns = () => {
    forget(dryRuns);
    copyFileSync(state, dryRuns);
  };
  const commands: Record<string, string[]> = {
    ...(first ? { 'node -e 0': [process.execPath, '-e', '0'], 'watchdog --version': [process.execPath, BIN, '--version'] } : {}),
    'docker ps -a': ['docker', 'ps', '-a'],
    'docker system df -v': ['docker', 'system', 'df', '-v'],
    'watchdog report --json': wd('report', '--json'),
    [FEW_RUNS]: [process.execPath, BIN, 'report', '--json', '--state', fewRuns],
    'watchdog report': wd('report'),
    'watchdog check --dry-run': [process.execPath, BIN, 'check', '--dry-run', '--state', dryRuns],
    ...(withCaCerts ? { [WITH_CA_CERTS]: wd('report', '--json') } : {}),
  };
  const envOf = (name: string) => (name === WITH_CA_CERTS ? withCaCerts! : env);

  const collectors = (stdout: string) =>
    (JSON.parse(stdout).collectors as Array<{ collector: string; seconds: number; measured?: number }>)
      .filter((c) => c.seconds >= 0.05)
      .map((c) => `${c.collector} ${c.seconds.toFixed(2)} s`)
      .join(', ');
  const wall: Record<string, number> = {};
  const rssKb: Record<string, number> = {};
  /** One report --json on an empty store, recorded under `name`. */
  const coldReport = async (name: string, dropCaches: boolean): Promise<Sample> => {
    forget();
    if (dropCaches) execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
    const sample = await measure(wd('report', '--json'), env);
    wall[name] = sample.seconds;
    rssKb[name] = sample.maxRssKb;
    console.log(`bench: ${size}: ${name}: ${sample.seconds.toFixed(2)} s, ${mb(sample.maxRssKb)} MB (${collectors(sample.stdout)})`);
    return sample;
  };
  if (DROP_CACHES) await coldReport('cold, page cache dropped', true);
  const cold = await coldReport('cold, caches warm', false);
  const exited = JSON.parse(cold.stdout).exited as { count: number; footprintBytes: number; footprintInodes: number; footprintMeasured: number; sizeRwBytes: number };
  if (exited.count !== size) throw new Error(`the report counts ${exited.count} exited containers, not ${size}`);
  console.log(`bench: ${size}: docker system df counts ${exited.sizeRwBytes} bytes for them; the watchdog finds ${exited.footprintBytes} bytes and ${exited.footprintInodes} inodes`);

  if (first) {
    // The footprint against du(1) over the same containers, found without the watchdog
    // (issue #10's target: within 25 % on the containerd image store).
    const ids = (await engine.docker.listContainers({ all: true, filters: { status: ['exited', 'created'] } })).map((c) => c.Id);
    const du = (await pMap(ids, (id) => duOfContainer(engine, id), { concurrency: 8 })).reduce((a, b) => a + b, 0);
    console.log(`bench: footprint of ${exited.footprintMeasured} exited containers ${exited.footprintBytes} bytes, du ${du} bytes: ${((exited.footprintBytes / du - 1) * 100).toFixed(1)} % off`);
  }

  // API calls, at a proxy: a cold run (empty store) and a warm one.
  const proxy = await countingProxy(`${engine.dir}/docker.sock`, `${engine.dir}/count.sock`);
  const viaProxy = (...args: string[]) => wd(...args, '--host', proxy.host);
  let apiCold: number;
  let apiWarm: number;
  try {
    forget();
    await measure(viaProxy('report', '--json'), env);
    apiCold = proxy.requests().length;
    proxy.reset();
    await measure(viaProxy('report', '--json'), env);
    apiWarm = proxy.requests().length;
    const kinds = new Map<string, number>();
    for (const line of proxy.requests()) {
      const kind = line.replace(/[0-9a-f]{64}/, '{id}').replace(/\?.*$/, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(`bench: ${size}: engine API calls: cold ${apiCold}, warm ${apiWarm} (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
  } finally {
    await proxy.close();
  }

  // The warm runs read a store in a timer's steady state (bench/steady-history.ts): a
  // year of runs every 5 minutes before the bench's own. On a store of only the bench's
  // few runs, a warm report at 1,000 took 143 ms where a host's store made it 228 ms
  // (a week of history read, its trends, thinning by a whole-table scan; issue #14).
  // That store is measured too, under its own name.
  forget(fewRuns);
  copyFileSync(state, fewRuns);
  const { db } = openStore(state, (problem) => console.log(`bench: ${problem}`), new Date());
  try {
    const firstRun = db.prepare('SELECT min(taken_at) FROM samples').pluck().get() as number | null;
    if (firstRun === null) throw new Error(`the bench's runs recorded nothing in ${state}`);
    writeSteadyHistory(db, survivingTimes(firstRun));
  } finally {
    db.close();
  }

  // One warm-up round (page cache, engine caches, the store's df answer), then
  // interleaved rounds.
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  copyForDryRuns();
  for (const [name, command] of Object.entries(commands)) await measure(command, envOf(name));
  for (let run = 0; run < RUNS; run++) {
    copyForDryRuns();
    for (const [name, command] of Object.entries(commands)) samples[name]!.push(await measure(command, envOf(name)));
  }
  for (const name of Object.keys(commands)) {
    wall[name] = median(samples[name]!.map((s) => s.seconds));
    rssKb[name] = Math.max(...samples[name]!.map((s) => s.maxRssKb));
  }
  const daemonStore = `${engine.dir}/bench-daemon.db`;
  forget(daemonStore);
  const daemon = await daemonPeak(['--state', daemonStore], env);
  rssKb['watchdog watch (first pass)'] = daemon.peakKb;
  wall['watchdog watch (first pass)'] = daemon.seconds;

  const ps = wall['docker ps -a']!;
  console.log(`\n${size} exited and ${RUNNING} running containers, ${RUNS} runs each, medians (peak RSS: the highest):`);
  console.log('command                               wall (s)  x docker ps -a  peak RSS (MB)');
  for (const name of Object.keys(wall)) {
    const ratio = name.startsWith('node') || name.includes('--version') ? '' : (wall[name]! / ps).toFixed(2);
    console.log(`${name.padEnd(36)}  ${wall[name]!.toFixed(3).padStart(8)}  ${ratio.padStart(14)}  ${mb(rssKb[name]!).padStart(13)}`);
  }
  const warm = wall['watchdog report --json']!;
  console.log(`warm report --json: ${(warm / ps).toFixed(2)} x docker ps -a (target: at most 1.50), ${(warm / wall['docker system df -v']!).toFixed(2)} x docker system df -v (target: below 1.00)`);
  const withCa = wall[WITH_CA_CERTS];
  if (withCa !== undefined) {
    console.log(`  with this shell's NODE_EXTRA_CA_CERTS: ${ms(withCa)}, ${ms(withCa - warm)} more: ${(withCa / ps).toFixed(2)} x docker ps -a, ${(withCa / wall['docker system df -v']!).toFixed(2)} x docker system df -v`);
  }

  if (first) {
    const node = wall['node -e 0']!;
    const version = wall['watchdog --version']!;
    console.log(`\nstart-up: watchdog --version ${ms(version)}, node -e 0 ${ms(node)}: ${ms(version - node)} over Node.js itself (target: within 25 ms)`);
    // Where the warm report's time goes: Node.js itself, loading the command, each
    // collector (from the report's own collectors[]), and the rest (opening and writing
    // the state store, deciding, printing).
    const steps = new Map<string, number[]>();
    for (const s of samples['watchdog report --json']!) {
      for (const c of JSON.parse(s.stdout).collectors as Array<{ collector: string; seconds: number }>) steps.set(c.collector, [...(steps.get(c.collector) ?? []), c.seconds]);
    }
    const collected = [...steps.values()].reduce((sum, values) => sum + median(values), 0);
    console.log('\nwarm report --json, step by step (medians):');
    console.log(`  ${'Node.js start-up (node -e 0)'.padEnd(44)} ${ms(node).padStart(7)}`);
    console.log(`  ${'loading the CLI (watchdog --version - node)'.padEnd(44)} ${ms(version - node).padStart(7)}`);
    for (const [collector, values] of steps) console.log(`  ${`collector ${collector}`.padEnd(44)} ${ms(median(values)).padStart(7)}`);
    console.log(`  ${'the rest: command code, store, decide, record, print'.padEnd(44)} ${ms(warm - version - collected).padStart(7)}`);
    console.log(`  ${'total'.padEnd(44)} ${ms(warm).padStart(7)}`);

    // The metrics of that host (issue #12): how many series, how big, and what they add
    // to a run: the store's part (journal counts, outbox) and the rendering, each timed
    // in a fresh process on the warm report's own JSON (a run renders once, cold).
    const reportFile = `${engine.dir}/bench-report.json`;
    writeFileSync(reportFile, samples['watchdog report --json']!.at(-1)!.stdout);
    const once: Array<{ storeMs: number; renderMs: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const { stdout } = await exec(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./metrics-once.ts', import.meta.url)), reportFile, state]);
      once.push(JSON.parse(stdout));
    }
    const text = renderMetrics({ report: JSON.parse(readFileSync(reportFile, 'utf8')), version: 'bench', store: null });
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const storeMs = median(once.map((o) => o.storeMs));
    const renderMs = median(once.map((o) => o.renderMs));
    console.log(`\nmetrics of ${size} exited and ${RUNNING} running containers: ${series} series, ${Buffer.byteLength(text)} bytes`);
    console.log(`  in a fresh process (${RUNS} runs, medians): the store's part ${storeMs.toFixed(2)} ms, rendering ${renderMs.toFixed(2)} ms`);
    console.log(`  adds ${(storeMs + renderMs).toFixed(2)} ms to a run (target: under 10 ms)`);
  }
  console.log('');
  return { size, wall, rssKb, apiCold, apiWarm };
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_ENGINE;
  console.log(`bench: ${reuse ? `reusing engine ${reuse}` : `starting a throwaway engine ${ENGINE_KIND} (WDT_ENGINE)`}, sizes ${SIZES.join(', ')}, ${RUNNING} running containers`);
  // Room for 10,000 containers of about 150 kB and 44 inodes each.
  const engine = reuse ? engineNamed(reuse) : await startEngine('bench', 4096, 1_000_000);
  try {
    // A reused engine's services keep their names when they stop (an engine restarted):
    // they are started again, and only those missing are made.
    const services = await engine.docker.listContainers({ all: true, filters: { name: ['bench-svc-'] } });
    await pMap(services.filter((s) => s.State !== 'running'), (s) => engine.docker.getContainer(s.Id).start(), { concurrency: 4 });
    await pMap(
      Array.from({ length: Math.max(0, RUNNING - services.length) }, (_, i) => services.length + i),
      // They run as long as the bench does, however long it takes to build.
      (i) => runContainer(engine.docker, { name: `bench-svc-${i}`, cmd: ['sh', '-c', 'seq 1 1000; while :; do sleep 3600; done'], detach: true }),
      { concurrency: 4 },
    );
    const results: SizeResult[] = [];
    for (const [i, size] of SIZES.entries()) {
      await grow(engine, size);
      results.push(await benchSize(engine, size, i === 0));
    }

    console.log(`scaling, engine ${ENGINE_KIND}: wall time in s (peak RSS in MB); medians of ${RUNS} warm runs, one cold run each`);
    const names = [...new Set(results.flatMap((r) => Object.keys(r.wall)))].filter((n) => !n.startsWith('node') && !n.includes('--version'));
    console.log(['command'.padEnd(36), ...results.map((r) => `${r.size} exited`.padStart(18))].join(''));
    for (const name of names) {
      console.log([name.padEnd(36), ...results.map((r) => (r.wall[name] === undefined ? '' : `${r.wall[name]!.toFixed(3)} (${mb(r.rssKb[name]!)})`).padStart(18))].join(''));
    }
    console.log(['warm report --json / ps -a'.padEnd(36), ...results.map((r) => (r.wall['watchdog report --json']! / r.wall['docker ps -a']!).toFixed(2).padStart(18))].join(''));
    console.log(['warm report --json / df -v'.padEnd(36), ...results.map((r) => (r.wall['watchdog report --json']! / r.wall['docker system df -v']!).toFixed(2).padStart(18))].join(''));
    console.log(['engine API calls, cold run'.padEnd(36), ...results.map((r) => String(r.apiCold).padStart(18))].join(''));
    console.log(['engine API calls, warm run'.padEnd(36), ...results.map((r) => String(r.apiWarm).padStart(18))].join(''));
    console.log('targets: warm at most 1.50 x docker ps -a and below docker system df -v; peak RSS of report, check and the daemon under 100 MB; cold at 5,000 with caches warm at most 2.5 s');
  } finally {
    if (!reuse) await engine.stop();
  }
}

await main();
