// The package as users get it: the committed prebuild (current with native/,
// loadable, the same exports as a fresh build), the tarball `npm pack` makes
// (--ignore-scripts: dist/ is built by pretest, and rebuilding it here would
// rewrite files other test processes are loading),
// an install of that tarball into a fresh directory with no compiler, make or
// python3 reachable on PATH (so only the prebuild can work), and there
// `npx sockmode demo`, `import` of every exports entry, `require('sockmode')`
// from CommonJS, and TypeScript resolving the types of every entry.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script (no types); its two exports are typed below.
import * as stamp from '../scripts/prebuild.mjs';
import { root } from './helpers.js';

const { sourcesHash, prebuildDir } = stamp as { sourcesHash: () => string; prebuildDir: string };
const prebuild = join(prebuildDir, 'sockmode.glibc.node');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
};

/** Runs a command, throwing with its output when it fails. */
function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', ...options });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

describe('the committed prebuild', () => {
  it('is current: built from the native/ and binding.gyp in this tree (else: npm run prebuild, and commit it)', () => {
    expect(existsSync(prebuild)).toBe(true);
    const recorded = readFileSync(join(prebuildDir, 'sources.sha256'), 'utf8').trim();
    expect(recorded, 'native/ changed since the committed prebuild: run `npm run prebuild` and commit prebuilds/').toBe(
      sourcesHash(),
    );
  });

  it('loads alone and exports exactly what a fresh build does', () => {
    const keys = (file: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(file)})).sort()))`],
          { encoding: 'utf8' },
        ),
      ) as string[];
    const fresh = keys(join(root, 'build', 'Release', 'sockmode.node'));
    expect(fresh.length).toBeGreaterThan(40);
    expect(keys(prebuild)).toEqual(fresh);
    // Stripped (prebuildify --strip): no symbol table left.
    const symbols = spawnSync('nm', [prebuild], { encoding: 'utf8' });
    if (!symbols.error) expect(symbols.stderr + symbols.stdout).toMatch(/no symbols/);
  });
});

describe('the package installed from its tarball, with no compiler on PATH', () => {
  let work: string;
  let app: string;
  let tarball: string;
  let files: { path: string; size: number }[];
  let install: ReturnType<typeof run>;
  /** PATH with sh, node, npm and npx only: no g++, cc, make or python3. */
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sockmode-pack-'));
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
    expect(packed.status, packed.all).toBe(0);
    const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string; size: number }[];
    }[];
    tarball = join(work, info[0].filename);
    files = info[0].files;
    console.log(
      `${info[0].filename}: ${info[0].size} bytes packed, ${info[0].unpackedSize} unpacked, ${files.length} files:\n` +
        files.map((f) => `  ${String(f.size).padStart(7)}  ${f.path}`).join('\n'),
    );

    const bin = join(work, 'bin');
    mkdirSync(bin);
    const npmDir = dirname(
      process.env.npm_execpath ?? run('sh', ['-c', 'command -v npm'], { cwd: root }).stdout.trim(),
    );
    // The node binary itself (/proc/self/exe): under npm run test:asan,
    // process.execPath is a launcher that preloads the ASan runtime.
    const realNode = readlinkSync('/proc/self/exe');
    symlinkSync(realNode, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs scripts with sh from PATH
    for (const tool of ['npm', 'npx']) {
      const cli = join(npmDir, `${tool}-cli.js`);
      const target = existsSync(cli) ? cli : run('sh', ['-c', `command -v ${tool}`], { cwd: root }).stdout.trim();
      writeFileSync(join(bin, tool), `#!/bin/sh\nexec "${realNode}" "${target}" "$@"\n`, { mode: 0o755 });
    }
    env = {
      HOME: process.env.HOME,
      PATH: bin,
      npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, '.npm'),
      npm_config_update_notifier: 'false',
    };
    for (const tool of ['g++', 'c++', 'cc', 'gcc', 'make', 'python3', 'python']) {
      expect(run('/bin/sh', ['-c', `command -v ${tool}`], { cwd: work, env }).status, tool).not.toBe(0);
    }

    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], {
      cwd: app,
      env,
      timeout: 180_000,
    });
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the runtime, the prebuild, the sources to rebuild from, and nothing else', () => {
    const paths = files.map((f) => f.path);
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/sockmode.js',
      'binding.gyp',
      'prebuilds/linux-x64/sockmode.glibc.node',
      'native/socket.cc',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/select.d.ts',
      'dist/selectors.d.ts',
      'dist/cli.js',
    ]) {
      expect(paths, p).toContain(p);
    }
    for (const entry of Object.values(pkg.exports)) {
      if (typeof entry !== 'string') {
        expect(paths, entry.types).toContain(entry.types.replace(/^\.\//, ''));
        expect(paths, entry.default).toContain(entry.default.replace(/^\.\//, ''));
      }
    }
    expect(paths.filter((p) => /^(test|examples|build|build-asan|scripts|docs|node_modules)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.node'))).toEqual(['prebuilds/linux-x64/sockmode.glibc.node']);
  });

  it('installs without compiling: the prebuild is what loads', () => {
    expect(install.status, install.all).toBe(0);
    const installed = join(app, 'node_modules', pkg.name);
    expect(existsSync(join(installed, 'package.json'))).toBe(true);
    expect(existsSync(join(installed, 'build')), 'node-gyp ran at install').toBe(false);
    const r = run(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(import.meta.url);
         console.log(require('node-gyp-build').resolve(${JSON.stringify(installed)}));`,
      ],
      { cwd: app, env },
    );
    expect(r.status, r.all).toBe(0);
    expect(r.stdout.trim()).toBe(join(installed, 'prebuilds', 'linux-x64', 'sockmode.glibc.node'));
    expect(statSync(r.stdout.trim()).size).toBe(statSync(prebuild).size);
  });

  it('npx sockmode demo runs every scenario there', () => {
    const r = run('npx', ['sockmode', 'demo'], { cwd: app, env, timeout: 120_000 });
    expect(r.status, r.all).toBe(0);
    expect(r.stdout).toMatch(/^all 11 scenarios behaved as expected$/m);
    expect(r.stdout).toMatch(/TimeoutError: timed out/);
  }, 150_000);

  it("import of every exports entry, and require('sockmode') from CommonJS: one module, not two copies", () => {
    writeFileSync(
      join(app, 'check.cjs'),
      `const s = require('sockmode');
       const [a, b] = s.socketpair();
       a.settimeout(0.05);
       let timedOut = false;
       try { a.recv(1); } catch (e) { timedOut = e instanceof s.TimeoutError; }
       a.close(); b.close();
       import('sockmode').then((m) => {
         console.log(JSON.stringify({
           timedOut,
           same: m === s,
           select: typeof require('sockmode/select').select,
           selectors: typeof require('sockmode/selectors').DefaultSelector,
           version: require('sockmode/package.json').version,
         }));
       });`,
    );
    const r = run('node', ['check.cjs'], { cwd: app, env });
    expect(r.status, r.all).toBe(0);
    expect(r.stderr).not.toMatch(/Warning/);
    expect(JSON.parse(r.stdout)).toEqual({
      timedOut: true,
      same: true,
      select: 'function',
      selectors: 'function',
      version: pkg.version,
    });
  });

  it('TypeScript (NodeNext) finds the types of every exports entry and checks a program against them', () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { socket, TimeoutError, type Socket } from 'sockmode';
       import { select } from 'sockmode/select';
       import { DefaultSelector, EVENT_READ } from 'sockmode/selectors';
       const s: Socket = socket();
       const t: number | null = s.gettimeout();
       const [r]: unknown[][] = select([s], [], [], 0);
       const sel = new DefaultSelector();
       sel.register(s, EVENT_READ);
       const e: Error = new TimeoutError('timed out');
       console.log(t, r.length, e.message);
       // @ts-expect-error: settimeout takes seconds as a number (or null), not a string
       s.settimeout('1');
       `,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(
      'node',
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--lib',
        'es2022,esnext.disposable',
        '--typeRoots',
        join(root, 'node_modules', '@types'),
        '--types',
        'node',
        'check.ts',
      ],
      { cwd: app, env },
    );
    expect(r.all).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('platforms without a binary', () => {
  it('Windows: a clear error at load, with a code', () => {
    const r = run(
      'node',
      [
        '--input-type=module',
        '-e',
        `Object.defineProperty(process, 'platform', { value: 'win32' });
         try { await import(${JSON.stringify(join(root, 'dist', 'index.js'))}); console.log('loaded'); }
         catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
      ],
      { cwd: root },
    );
    const out = JSON.parse(r.stdout) as { code: string; message: string };
    expect(out.code).toBe('ERR_SOCKMODE_PLATFORM');
    expect(out.message).toMatch(/POSIX/);
  });
});
