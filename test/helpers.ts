/**
 * Shared test fixtures. Loopback only; every blocking call bounded.
 *
 * - `python(script, args)`: run a Python scenario, get its JSON observation.
 * - `node(script, args)`: run a Node scenario against the built package
 *   (dist/) in a child process, under a watchdog, get its JSON observation.
 * - `fullListener()`: a listener whose one backlog slot is taken and never
 *   accepted, so a further connect never completes (SYNs are dropped).
 * - `refusedAddress()`: a port that is bound but not listening (refused).
 * - `observe(fn)`: run fn, record `{ ok, value }` or the error's class, errno,
 *   message and elapsed seconds, in the same shape the Python side records.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import * as socket from '../lib/index.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One observation of an operation, the same shape in Python and TS. */
export interface Observation {
  ok: boolean;
  value?: unknown;
  error?: string; // class name
  errno?: number | null;
  message?: string;
  elapsed: number; // seconds
}

/** Runs fn and records what happened, in the shape of test/py/observe.py. */
export function observe(fn: () => unknown): Observation {
  const t0 = performance.now();
  try {
    let value = fn();
    if (Buffer.isBuffer(value)) value = [...value];
    return { ok: true, value: value === undefined ? null : value, elapsed: (performance.now() - t0) / 1000 };
  } catch (e) {
    const err = e as Error & { errno?: number | null };
    return {
      ok: false,
      error: err.name,
      errno: err.errno ?? null,
      message: err.message,
      elapsed: (performance.now() - t0) / 1000,
    };
  }
}

/** Python's exception class names as sockmode names them (ValueError and OverflowError are RangeError). */
export function jsClass(pythonName: string | undefined): string | undefined {
  return pythonName === 'ValueError' || pythonName === 'OverflowError' ? 'RangeError' : pythonName;
}

/** An observation without its elapsed time, Python's class names mapped: for comparing the two sides. */
export function outcome(o: Observation): Omit<Observation, 'elapsed'> {
  const { elapsed: _, ...rest } = o;
  return { ...rest, error: jsClass(rest.error) };
}

function runJson(cmd: string, argv: string[], input: unknown, timeoutMs: number): any {
  const r = spawnSync(cmd, argv, {
    input: JSON.stringify(input ?? null),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * Runs a Python 3 scenario: `script` is the body of a function `main(arg)`
 * that returns a JSON-able value; `observe(fn)` (test/py/observe.py) is in
 * scope, as are `socket`, `os`, `time`. `arg` arrives as parsed JSON.
 * Killed after timeoutMs.
 */
export function python(script: string, arg: unknown = null, timeoutMs = 20_000): any {
  const body = script
    .trim()
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  const code = `import sys, json, os, socket, time\nsys.path.insert(0, ${JSON.stringify(join(root, 'test', 'py'))})\nfrom observe import observe\ndef main(arg):\n${body}\nprint(json.dumps(main(json.load(sys.stdin))))\n`;
  return runJson('python3', ['-c', code], arg, timeoutMs);
}

/**
 * Runs a Node scenario in a child process against the built package: `script`
 * is the body of an async function `main(arg)` with `socket` (the package),
 * `observe` and `arg` in scope; its return value is the observation. Killed
 * after timeoutMs, so a call that blocks cannot hold the test.
 */
export function node(script: string, arg: unknown = null, timeoutMs = 20_000): any {
  const code = `
import * as socket from ${JSON.stringify(join(root, 'dist', 'index.js'))};
const observe = (fn) => { const t0 = performance.now(); try { const v = fn(); return { ok: true, value: v === undefined ? null : v, elapsed: (performance.now() - t0) / 1000 }; } catch (e) { return { ok: false, error: e.name, errno: e.errno ?? null, message: e.message, elapsed: (performance.now() - t0) / 1000 }; } };
let input = ''; for await (const c of process.stdin) input += c;
const arg = JSON.parse(input);
const main = async (arg) => { ${script} };
console.log(JSON.stringify(await main(arg)));
process.exit(0);
`;
  return runJson(process.execPath, ['--input-type=module', '-e', code], arg, timeoutMs);
}

/** A listener nobody accepts from, its one backlog slot filled: connects to it hang. */
export function fullListener(family = socket.AF_INET): {
  address: [string, number];
  close(): void;
} {
  const host = family === socket.AF_INET6 ? '::1' : '127.0.0.1';
  const listener = socket.socket(family, socket.SOCK_STREAM);
  listener.bind([host, 0]);
  listener.listen(0);
  const address = (listener.getsockname() as [string, number]).slice(0, 2) as [string, number];
  const fillers: socket.Socket[] = [];
  // Fill the accept queue (backlog 0 holds one); connects beyond it get no SYN-ACK.
  for (let i = 0; i < 2; i++) {
    const f = socket.socket(family, socket.SOCK_STREAM);
    f.settimeout(0.2);
    try {
      f.connect(address);
      fillers.push(f);
    } catch {
      f.close();
      break;
    }
  }
  return {
    address,
    close() {
      for (const f of fillers) f.close();
      listener.close();
    },
  };
}

/** An address that refuses connections: bound, not listening. */
export function refusedAddress(family = socket.AF_INET): { address: [string, number]; close(): void } {
  const host = family === socket.AF_INET6 ? '::1' : '127.0.0.1';
  const s = socket.socket(family, socket.SOCK_STREAM);
  s.bind([host, 0]);
  const address = (s.getsockname() as [string, number]).slice(0, 2) as [string, number];
  return { address, close: () => s.close() };
}

/** How many fds this process has open. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Whether the fd's open file description has O_NONBLOCK set. */
export function fdNonBlocking(fd: number): boolean {
  return !socket.get_blocking(fd);
}

/**
 * Installs hooks that check every test of the file closes what it opens (the
 * /proc/self/fd count after equals before) and resets the default timeout.
 */
export function checkNoFdLeaks(): void {
  let before = 0;
  beforeEach(() => {
    before = fdCount();
  });
  afterEach(() => {
    socket.setdefaulttimeout(null);
    expect(fdCount()).toBe(before); // every socket of the test was closed
  });
}

/** Sleeps the thread (nothing else of ours runs meanwhile). */
export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Returns `track(s)`: every socket passed to it is closed after the test,
 * also when the test fails (install before checkNoFdLeaks' count runs:
 * call this after checkNoFdLeaks(), as hooks run in reverse order).
 */
export function trackSockets(): <T extends socket.Socket>(s: T) => T {
  const opened: socket.Socket[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  return (s) => {
    opened.push(s);
    return s;
  };
}
