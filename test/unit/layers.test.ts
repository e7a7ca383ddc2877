// The layers of docs/architecture.md, held by a test: each folder of src/ imports only
// what lies below it, commands never import each other, and only main.ts ends the
// process. A change that breaks the architecture fails here, not in review.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module of src/, with what it imports: `layer/file` for our own, the package
 *  name for the others. */
const modules = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((file) => {
    const text = readFileSync(join(SRC, file), 'utf8');
    const imports = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/gm)].map((m) => {
      const spec = (m[1] ?? m[2])!;
      return spec.startsWith('.') ? relative(SRC, resolve(dirname(join(SRC, file)), spec)).replace(/\.js$/, '.ts') : spec;
    });
    return { file, text, imports };
  });

const layerOf = (path: string): string => (path.includes('/') ? path.split('/')[0]! : path.replace(/\.ts$/, ''));
const ours = (spec: string) => !spec.startsWith('node:') && (spec.includes('/') || spec.endsWith('.ts')) && !spec.startsWith('@') && /\.ts$/.test(spec);

/** What each layer may import of ours; `*` for anything. Packages are checked apart. */
const MAY_IMPORT: Record<string, string[]> = {
  main: ['*'],
  cli: ['commands', 'config', 'core', 'errors', 'pipeline', 'act'],
  commands: ['pipeline', 'core', 'config', 'state', 'errors'],
  pipeline: ['collect', 'act', 'notify', 'state', 'engine', 'config', 'core', 'files', 'errors', 'builtins'],
  collect: ['engine', 'core', 'files', 'errors'],
  act: ['engine', 'core', 'files', 'errors', 'builtins'],
  notify: ['core', 'errors'],
  state: ['core', 'files', 'errors'],
  engine: ['core', 'errors', 'builtins'],
  config: ['core', 'errors'],
  files: ['builtins'],
  core: [],
  errors: ['core'],
  builtins: [],
};

describe('layers', () => {
  it('has a rule for every folder of src/', () => {
    expect([...new Set(modules.map((m) => layerOf(m.file)))].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it.each(Object.keys(MAY_IMPORT))('%s imports only from the layers below it (and itself)', (layer) => {
    const allowed = MAY_IMPORT[layer]!;
    const wrong = modules
      .filter((m) => layerOf(m.file) === layer)
      .flatMap((m) => m.imports.filter(ours).filter((spec) => layerOf(spec) !== layer && !allowed.includes('*') && !allowed.includes(layerOf(spec))).map((spec) => `${m.file} -> ${spec}`));
    expect(wrong).toEqual([]);
  });

  it('keeps the core pure: no node: module, no I/O package', () => {
    const io = modules.filter((m) => layerOf(m.file) === 'core').flatMap((m) => m.imports.filter((spec) => spec.startsWith('node:') || ['dockerode', 'better-sqlite3', 'nodemailer', 'tar-stream', 'chokidar'].includes(spec)).map((spec) => `${m.file} -> ${spec}`));
    expect(io).toEqual([]);
  });

  it('never has a command import another command', () => {
    // commands/index.ts is no command: it lists them, for the build (it says why).
    const across = modules.filter((m) => layerOf(m.file) === 'commands' && m.file !== join('commands', 'index.ts')).flatMap((m) => m.imports.filter((spec) => layerOf(spec) === 'commands').map((spec) => `${m.file} -> ${spec}`));
    expect(across).toEqual([]);
  });

  it('ends the process only in main.ts', () => {
    expect(modules.filter((m) => /process\.exit\(/.test(m.text)).map((m) => m.file)).toEqual(['main.ts']);
  });
});
