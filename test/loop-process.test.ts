// SEMANTICS §10: `loop.sock_*` in worker threads (each worker its own event
// loop), terminating a worker with waits pending (its environment's cleanup
// closes the poll handles; the process goes on and can use those fds), and
// process lifetime: a pending wait keeps the process alive as a pending `net`
// read does; a socket with no pending wait does not.
//
// Workers and child processes import the built package (dist/). Every child
// runs under spawnSync's watchdog (SIGKILL), every worker under a bound that
// terminates it. Loopback only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, trackSockets, root } from './helpers.js';

const { loop } = socket;

checkNoFdLeaks();

// Every socket a test opens is closed after it, also when the test fails.
const track = trackSockets();

const DIST = pathToFileURL(join(root, 'dist', 'index.js')).href;

class Hang extends Error {}
function bounded<T>(p: Promise<T>, ms = 5000, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The same bytes as `pattern` in the worker code below. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 101 + (i >> 8)) & 0xff;
  return b;
}
const PATTERN_JS = `const pattern = (n, seed) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 101 + (i >> 8)) & 0xff; return b; };`;

/** A worker running `code` (an ES module body with `socket`, `loop`, `parentPort`, `workerData`, `pattern` in scope). */
function worker(code: string, workerData: unknown = null): Worker {
  const src = `
import * as socket from ${JSON.stringify(DIST)};
import { parentPort, workerData } from 'node:worker_threads';
const { loop } = socket;
${PATTERN_JS}
${code}
`;
  const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(src)), { workerData });
  exits.set(w, new Promise<number>((resolve) => w.once('exit', resolve)));
  return w;
}
/** Each worker's exit code, listened for from its start. */
const exits = new WeakMap<Worker, Promise<number>>();

/** The worker's first message; an error, an exit first, or a hang fails (and terminates it). */
async function firstMessage<T>(w: Worker, ms = 15_000): Promise<T> {
  const got = new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the worker exited (${code}) before its message`)));
  });
  try {
    return await bounded(got, ms, 'the worker');
  } catch (e) {
    await w.terminate();
    throw e;
  }
}

/** Waits for the worker to end by itself (nothing left to do); terminates it only if it does not. */
async function ended(w: Worker, ms = 5000): Promise<number> {
  try {
    return await bounded(exits.get(w)!, ms, "the worker's exit");
  } catch (e) {
    await w.terminate();
    throw e;
  }
}

/** Runs an ES module script in a child node under a watchdog; the result and how long it took. */
function child(code: string, timeoutMs = 10_000) {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import * as socket from ${JSON.stringify(DIST)};\nconst { loop } = socket;\n${code}`,
    ],
    {
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    },
  );
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    ms: performance.now() - t0,
    error: r.error,
  };
}

/** The last JSON line a child printed. */
function lastJson(out: string): any {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// ------------------------------------------------------------- worker threads

const ECHO_WORKER = `
const { clients: N, waiters: W } = workerData;
const size = (i) => (i * 7919) % 60000;
const l = socket.socket(); l.bind(['127.0.0.1', 0]); l.listen(256); l.setblocking(false);
const address = l.getsockname();
async function echo(conn) {
  for (let k = 0; k < 100000; k++) {
    const d = await loop.sock_recv(conn, 65536);
    if (d.length === 0) break;
    await loop.sock_sendall(conn, d);
  }
  conn.close();
}
const server = (async () => {
  const handlers = [];
  for (let i = 0; i < N; i++) { const [conn] = await loop.sock_accept(l); handlers.push(echo(conn)); }
  await Promise.all(handlers);
})();
async function client(i) {
  const c = socket.socket(); c.setblocking(false);
  await loop.sock_connect(c, address);
  const reading = (async () => {
    const parts = [];
    for (let k = 0; k < 100000; k++) { const d = await loop.sock_recv(c, 65536); if (d.length === 0) break; parts.push(d); }
    return Buffer.concat(parts);
  })();
  await loop.sock_sendall(c, pattern(size(i), i));
  c.shutdown(socket.SHUT_WR);
  const got = await reading;
  c.close();
  return got;
}
// Many waiters on one socket, in order.
const [a, b] = socket.socketpair(); a.setblocking(false);
const waits = Array.from({ length: W }, () => loop.sock_recv(a, 1));
setTimeout(() => b.send(pattern(W, 99)), 20);
const [echoed, bytes] = await Promise.all([Promise.all(Array.from({ length: N }, (_, i) => client(i))), Promise.all(waits), server]);
a.close(); b.close(); l.close();
parentPort.postMessage({ echoed: echoed.map((g) => new Uint8Array(g)), waiters: Buffer.concat(bytes).toString('hex') });
`;

describe('worker threads: each worker waits on its own event loop', () => {
  it('a worker runs an async echo server with 50 clients and 30 waiters on one socket', async () => {
    const w = worker(ECHO_WORKER, { clients: 50, waiters: 30 });
    const r = await firstMessage<{ echoed: Uint8Array[]; waiters: string }>(w, 20_000);
    expect(await ended(w)).toBe(0); // no handle left behind keeps the worker alive
    expect(r.echoed).toHaveLength(50);
    r.echoed.forEach((got, i) => {
      expect(Buffer.from(got).equals(pattern((i * 7919) % 60_000, i)), `client ${i}`).toBe(true);
    });
    expect(r.waiters).toBe(pattern(30, 99).toString('hex'));
  });

  it('two workers and the main thread wait at the same time, each on its own loop', async () => {
    const w1 = worker(ECHO_WORKER, { clients: 40, waiters: 10 });
    const w2 = worker(ECHO_WORKER, { clients: 40, waiters: 10 });
    const [a, b] = socket.socketpair();
    track(a);
    track(b);
    a.setblocking(false);
    const mine = (async () => {
      const got: string[] = [];
      for (let i = 0; i < 20; i++) {
        const p = loop.sock_recv(a, 100);
        setTimeout(() => b.send(Buffer.from(`main ${i}`)), 5);
        got.push(String(await bounded(p)));
      }
      return got;
    })();
    const [r1, r2, m] = await Promise.all([
      firstMessage<{ echoed: Uint8Array[] }>(w1, 20_000),
      firstMessage<{ echoed: Uint8Array[] }>(w2, 20_000),
      mine,
    ]);
    expect(await Promise.all([ended(w1), ended(w2)])).toEqual([0, 0]);
    for (const r of [r1, r2]) {
      expect(r.echoed).toHaveLength(40);
      r.echoed.forEach((got, i) => expect(Buffer.from(got).equals(pattern((i * 7919) % 60_000, i))).toBe(true));
    }
    expect(m).toEqual(Array.from({ length: 20 }, (_, i) => `main ${i}`));
  });

  it("a worker's waits complete while the main thread's loop is blocked", async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const w = worker(
      `
const flag = workerData;
const [a, b] = socket.socketpair(); a.setblocking(false); b.setblocking(false);
parentPort.postMessage('ready');
await new Promise((r) => parentPort.once('message', r));
const got = [];
for (let i = 0; i < 10; i++) {
  const p = loop.sock_recv(a, 100);
  setTimeout(() => b.send(Buffer.from('w' + i)), 10);
  got.push(String(await p));
}
a.close(); b.close();
Atomics.store(flag, 0, got.join(',') === 'w0,w1,w2,w3,w4,w5,w6,w7,w8,w9' ? 1 : 2);
Atomics.notify(flag, 0);
`,
      flag,
    );
    expect(await firstMessage(w)).toBe('ready');
    w.postMessage('go');
    // Block this thread (bounded): the worker's loop must do the waiting on its own.
    const r = Atomics.wait(flag, 0, 0, 5000);
    expect(await ended(w)).toBe(0);
    expect(r).toBe('ok');
    expect(Atomics.load(flag, 0)).toBe(1);
  });
});

// ---------------------------------------------------- terminating with waits pending

const PENDING_WORKER = `
const made = [];
const keep = (s) => (made.push(s), s);
const [a, b] = socket.socketpair().map(keep);
a.setblocking(false);
const l = keep(socket.socket()); l.bind(['127.0.0.1', 0]); l.listen(); l.setblocking(false);
const [c, d] = socket.socketpair().map(keep);
c.setblocking(false);
const chunk = Buffer.alloc(65536, 0x41);
for (let i = 0; i < 10000; i++) { try { c.send(chunk); } catch (e) { if (e instanceof socket.BlockingIOError) break; throw e; } }
const waits = [loop.sock_recv(a, 10), loop.sock_recv(a, 10), loop.sock_accept(l), loop.sock_sendall(c, Buffer.alloc(1 << 20))];
for (let i = 0; i < 100; i++) {
  const [x, y] = socket.socketpair().map(keep);
  x.setblocking(false);
  waits.push(loop.sock_recv(x, 10));
}
for (const p of waits) p.catch(() => {});
parentPort.postMessage({ fds: made.map((s) => s.fileno()) });
`;

describe('terminating a worker with waits pending', () => {
  it("the process goes on; the worker's fds are unwatched and work with loop.sock_* here", async () => {
    const w = worker(PENDING_WORKER);
    const { fds } = await firstMessage<{ fds: number[] }>(w);
    expect(fds).toHaveLength(5 + 200);
    expect(await bounded(w.terminate(), 5000, 'terminate()')).toBe(1);
    // Adopt the fds the worker left open: this thread owns (and closes) them now.
    const adopted = fds.map((fd) => track(socket.socket(undefined, undefined, undefined, fd)));
    const [a, b, l, c, d] = adopted;
    for (const s of adopted) s.setblocking(false);
    const p = loop.sock_recv(a, 100);
    b.send(Buffer.from('after terminate'));
    expect(await bounded(p)).toEqual(Buffer.from('after terminate'));
    const x = track(socket.socket());
    x.setblocking(false);
    const accepting = loop.sock_accept(l);
    await bounded(loop.sock_connect(x, l.getsockname() as [string, number]));
    track((await bounded(accepting))[0]);
    // c's send buffer is still full from the worker: a sendall here waits, then completes.
    const sending = loop.sock_sendall(c, Buffer.from('tail'));
    let drained = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 5000) {
      const chunk = await bounded(loop.sock_recv(d, 1 << 16));
      drained += chunk.length;
      if (chunk.subarray(-4).toString() === 'tail') break;
    }
    await bounded(sending);
    expect(drained).toBeGreaterThan(4);
    // The 100 waiting pairs: every one usable.
    for (let i = 5; i < adopted.length; i += 2) {
      const q = loop.sock_recv(adopted[i], 10);
      adopted[i + 1].send(Buffer.from('k'));
      expect(await bounded(q)).toEqual(Buffer.from('k'));
    }
  });

  it('terminating a worker while its readiness callback runs does not crash the process (in a child)', () => {
    const r = child(`
import { Worker } from 'node:worker_threads';
const code = 'import * as socket from ' + ${JSON.stringify(JSON.stringify(DIST))} + ';' + \`
import { workerData } from 'node:worker_threads';
const [a, b] = socket.socketpair(); a.setblocking(false);
setTimeout(() => b.send(Buffer.from('x')), 20);
await socket.loop.sock_recv(a, 10); // resumes inside the event loop's readiness callback
Atomics.store(workerData, 0, 1); Atomics.notify(workerData, 0);
const t = Date.now(); while (Date.now() - t < 500); // still inside it when terminate() comes
\`;
const flag = new Int32Array(new SharedArrayBuffer(4));
const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(code)), { workerData: flag });
const woke = Atomics.wait(flag, 0, 0, 5000);
const code2 = await w.terminate();
const [a, b] = socket.socketpair(); a.setblocking(false);
const p = loop.sock_recv(a, 100);
setTimeout(() => b.send(Buffer.from('alive')), 20);
const got = String(await p);
a.close(); b.close();
console.log(JSON.stringify({ woke, code: code2, got }));
`);
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr.split('\n')[0]).toBe(0);
    expect(lastJson(r.stdout)).toEqual({ woke: 'ok', code: 1, got: 'alive' });
  });

  it('terminating workers in every state never crashes the process (in a child, under a watchdog)', () => {
    const r = child(
      `
import { Worker } from 'node:worker_threads';
const src = (body) => new URL('data:text/javascript,' + encodeURIComponent(
  'import * as socket from ' + ${JSON.stringify(JSON.stringify(DIST))} + ';\\nimport { parentPort, workerData } from "node:worker_threads";\\nconst { loop } = socket;\\n' + ${JSON.stringify(PATTERN_JS)} + '\\n' + body));
const bodies = {
  pending: ${JSON.stringify(PENDING_WORKER)},
  busy: ${JSON.stringify(ECHO_WORKER.replace('const { clients: N, waiters: W } = workerData;', 'const { clients: N, waiters: W } = workerData; parentPort.postMessage("started");'))},
  early: 'const [a] = socket.socketpair(); a.setblocking(false); loop.sock_recv(a, 1).catch(() => {}); parentPort.postMessage("started");',
  looping: 'const [a, b] = socket.socketpair(); a.setblocking(false); b.setblocking(false); parentPort.postMessage("started"); for (;;) { const p = loop.sock_recv(a, 10); b.send(Buffer.from("x")); await p; }',
};
const done = [];
for (let round = 0; round < 3; round++) {
  for (const [name, body] of Object.entries(bodies)) {
    const w = new Worker(src(body), { workerData: { clients: 100, waiters: 20 } });
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await new Promise((r) => setTimeout(r, 5 * round)); // 0, 5, 10 ms into its work
    const code = await w.terminate();
    done.push(name + ':' + code);
  }
}
// This process still works.
const [a, b] = socket.socketpair(); a.setblocking(false);
const p = loop.sock_recv(a, 100);
setTimeout(() => b.send(Buffer.from('alive')), 20);
const got = String(await p);
a.close(); b.close();
console.log(JSON.stringify({ done, got }));
`,
      30_000,
    );
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr.split('\n')[0]).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.got).toBe('alive');
    expect(out.done).toEqual(Array.from({ length: 3 }, () => ['pending:1', 'busy:1', 'early:1', 'looping:1']).flat());
  });
});

// ------------------------------------------------------------- process lifetime

describe('a pending wait keeps the process alive; a socket without one does not', () => {
  it('only a pending sock_recv, the peer (another process) sends after 300 ms: the process exits after receiving', () => {
    const r = child(`
import { spawn } from 'node:child_process';
const [a, b] = socket.socketpair();
a.setblocking(false);
const t0 = performance.now();
// The peer is another process holding b as its fd 3; nothing of ours keeps the loop alive but the wait.
spawn(process.execPath, ['-e', "setTimeout(() => require('fs').writeSync(3, 'late data'), 300)"], {
  stdio: ['ignore', 'ignore', 'inherit', b.fileno()],
}).unref();
b.close();
loop.sock_recv(a, 100).then((d) => {
  console.log(JSON.stringify({ data: String(d), ms: performance.now() - t0 }));
  a.close();
});
`);
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.data).toBe('late data');
    expect(out.ms).toBeGreaterThanOrEqual(250);
    expect(r.ms).toBeLessThan(8000);
  });

  it('only a pending sock_accept, a client (another process) connects after 300 ms: exits after accepting', () => {
    const r = child(`
import { spawn } from 'node:child_process';
const l = socket.socket(); l.bind(['127.0.0.1', 0]); l.listen(); l.setblocking(false);
const port = l.getsockname()[1];
const t0 = performance.now();
spawn(process.execPath, ['-e', "setTimeout(() => { const s = require('net').connect(" + port + ", '127.0.0.1', () => s.end()); }, 300)"], {
  stdio: ['ignore', 'ignore', 'inherit'],
}).unref();
loop.sock_accept(l).then(([conn]) => {
  console.log(JSON.stringify({ accepted: conn.gettimeout() === 0, ms: performance.now() - t0 }));
  conn.close(); l.close();
});
`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.accepted).toBe(true);
    expect(out.ms).toBeGreaterThanOrEqual(250);
  });

  it('a pending wait with no peer activity holds the process until the watchdog kills it (as a net read would)', () => {
    for (const kind of ['sockmode', 'net']) {
      const r = child(
        kind === 'sockmode'
          ? `const [a, b] = socket.socketpair(); a.setblocking(false); loop.sock_recv(a, 10).then(() => console.log('settled'));`
          : `import net from 'node:net'; const [a, b] = socket.socketpair(); const s = new net.Socket({ fd: a.detach(), readable: true }); s.on('data', () => console.log('settled'));`,
        1500,
      );
      expect(r.signal, `${kind}: ${r.stderr}`).toBe('SIGKILL'); // still running at 1.5 s
      expect(r.stdout).toBe('');
    }
  });

  const idle: Record<string, string> = {
    'a non-blocking socket, never waited on': `
const [a, b] = socket.socketpair(); a.setblocking(false); b.setblocking(false);
b.send(Buffer.from('x'));
console.log(JSON.stringify({ done: String(a.recv(10)) }));`,
    'after a wait that resolved': `
const [a, b] = socket.socketpair(); a.setblocking(false);
const p = loop.sock_recv(a, 10);
setTimeout(() => b.send(Buffer.from('y')), 50);
console.log(JSON.stringify({ done: String(await p) }));`,
    'after a wait cancelled by AbortSignal.timeout(100)': `
const [a, b] = socket.socketpair(); a.setblocking(false);
const t0 = performance.now();
const e = await loop.sock_recv(a, 10, { signal: AbortSignal.timeout(100) }).catch((e) => e);
console.log(JSON.stringify({ done: e.name, ms: performance.now() - t0 }));`,
    'after close() with a wait pending': `
const [a, b] = socket.socketpair(); a.setblocking(false);
const p = loop.sock_recv(a, 10).catch((e) => e.errno);
setTimeout(() => a.close(), 50);
console.log(JSON.stringify({ done: await p }));`,
    'after a pending sock_sendall completed': `
const [a, b] = socket.socketpair(); a.setblocking(false); b.setblocking(false);
const chunk = Buffer.alloc(65536);
for (let i = 0; i < 10000; i++) { try { a.send(chunk); } catch { break; } }
const p = loop.sock_sendall(a, Buffer.from('end'));
const drain = setInterval(() => { try { while (b.recv(65536).length); } catch {} }, 5);
await p; clearInterval(drain);
console.log(JSON.stringify({ done: 'sent' }));`,
  };
  const expected: Record<string, unknown> = {
    'a non-blocking socket, never waited on': 'x',
    'after a wait that resolved': 'y',
    'after a wait cancelled by AbortSignal.timeout(100)': 'TimeoutError',
    'after close() with a wait pending': 9,
    'after a pending sock_sendall completed': 'sent',
  };
  for (const [name, code] of Object.entries(idle)) {
    it(`exits at once: ${name}`, () => {
      const r = child(code);
      expect(r.error).toBeUndefined();
      expect(r.signal, r.stderr).toBeNull(); // not killed by the watchdog
      expect(r.status, r.stderr).toBe(0);
      const out = lastJson(r.stdout);
      expect(out.done).toBe(expected[name]);
      if (out.ms !== undefined) expect(out.ms).toBeGreaterThanOrEqual(90);
      expect(r.ms).toBeLessThan(5000); // node's start-up plus the script, nothing held it
    });
  }
});
