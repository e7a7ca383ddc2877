// npm run bench: how `watchdog report --json` compares with the docker CLI on a host
// with many exited containers. Builds a throwaway engine (test/engine/test-engine.sh)
// with BENCH_CONTAINERS exited containers (default 1000), times one cold report (empty
// state store: every container inspected and measured), then times each command
// BENCH_RUNS times (default 7), interleaved so machine noise hits all alike: the
// watchdog warm, with what the state store remembers. Prints medians of wall time and
// peak RSS (GNU time), with ratios against `docker ps -a` measured in the same run.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pMap from 'p-map';
import { BIN } from '../test/helpers/cli.js';
import { runContainer, startEngine } from '../test/helpers/engine.js';

const exec = promisify(execFile);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

interface Sample {
  seconds: number;
  maxRssKb: number;
}

/** Wall time and peak RSS of one command, by GNU time. */
async function measure(command: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const { stderr } = await exec('/usr/bin/time', ['-f', 'BENCH %e %M', ...command], { env, maxBuffer: 1 << 28 }).catch((e: { stderr: string; code: number }) => {
    // watchdog exits 1 or 2 when it has findings; that is a result, not a failure.
    if (e.code === 1 || e.code === 2) return e;
    throw e;
  });
  const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`no timing for ${command.join(' ')}: ${stderr}`);
  const [, seconds, rss] = line.split(' ');
  return { seconds: Number(seconds), maxRssKb: Number(rss) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  console.log(`bench: starting a throwaway engine and ${CONTAINERS} exited containers...`);
  const engine = await startEngine('bench', 2048);
  try {
    const started = Date.now();
    await pMap(
      Array.from({ length: CONTAINERS }, (_, i) => i),
      (i) => runContainer(engine.docker, { name: `bench-${i}`, cmd: ['sh', '-c', 'echo a > /f1; echo b > /f2; echo c > /f3'] }),
      { concurrency: 4 },
    );
    console.log(`bench: ${CONTAINERS} containers in ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const env = { ...process.env, DOCKER_HOST: engine.host };
    const report = [process.execPath, BIN, 'report', '--json', '--state', `${engine.dir}/state.db`];
    const commands: Record<string, string[]> = {
      'docker ps -a': ['docker', 'ps', '-a'],
      'docker system df -v': ['docker', 'system', 'df', '-v'],
      'watchdog report --json (warm)': report,
    };
    const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    const cold = await measure(report, env);
    console.log(`bench: cold watchdog report --json (empty state store): ${cold.seconds.toFixed(3)} s, ${(cold.maxRssKb / 1024).toFixed(1)} MB`);
    // One warm-up round (page cache, engine caches), then interleaved rounds.
    for (const command of Object.values(commands)) await measure(command, env);
    for (let run = 0; run < RUNS; run++) {
      for (const [name, command] of Object.entries(commands)) samples[name]!.push(await measure(command, env));
    }

    const baseline = median(samples['docker ps -a']!.map((s) => s.seconds));
    console.log(`\n${CONTAINERS} exited containers, ${RUNS} runs each, medians:`);
    console.log('command                          wall (s)  x docker ps -a  peak RSS (MB)');
    for (const [name, list] of Object.entries(samples)) {
      const wall = median(list.map((s) => s.seconds));
      const rss = Math.max(...list.map((s) => s.maxRssKb)) / 1024;
      console.log(`${name.padEnd(31)}  ${wall.toFixed(3).padStart(8)}  ${(wall / baseline).toFixed(2).padStart(14)}  ${rss.toFixed(1).padStart(13)}`);
    }
    console.log('(peak RSS: the highest of the runs)');
  } finally {
    await engine.stop();
  }
}

await main();
