// Worker threads: the addon loads in four worker_threads at once, each doing
// blocking I/O (with a peer: the main thread's event-loop echo server), timeout
// mode I/O (including timeouts that fire) and loop.sock_* I/O on its own event
// loop; terminating workers while they wait in a blocking call, a timeout-mode
// call or a loop wait does not crash the process, which goes on using sockmode
// and can start new workers. README "Threads": each worker's module instance
// has its own default timeout, starting at null.
//
// A worker blocked in a syscall cannot be stopped by terminate(): its thread
// leaves the call when the call ends (the peer acts, or the timeout fires),
// and only then does terminate() resolve. So everything here runs in a child
// process under a SIGKILL watchdog, and the main thread of that child
// releases the blocked workers after calling terminate().
//
// Terminating workers blocked on loop waits only (no syscall) is covered by
// test/loop-process.test.ts; this file adds blocking and timeout-mode waits.
// Loopback and socketpairs only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkNoFdLeaks, root } from './helpers.js';

checkNoFdLeaks();

const DIST = pathToFileURL(join(root, 'dist', 'index.js')).href;

/**
 * Runs an ES module in a child node under a watchdog. `socket`, `loop`,
 * `Worker`, `startWorker(body, data)` (a worker from an ES module body with
 * `socket`, `loop`, `parentPort`, `workerData` in scope; `w.exited` its exit
 * code), `tick(ms)` and
 * `bounded(p, ms, what)` are in scope.
 */
function child(code: string, timeoutMs = 25_000) {
  const prelude = `
import * as socket from ${JSON.stringify(DIST)};
import { Worker } from 'node:worker_threads';
const { loop } = socket;
const tick = (ms) => new Promise((r) => setTimeout(r, ms));
function bounded(p, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what + ' did not settle within ' + ms + ' ms')), ms); });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
function startWorker(body, workerData) {
  const src = 'import * as socket from ' + ${JSON.stringify(JSON.stringify(DIST))} + ';\\n' +
    'import { parentPort, workerData } from "node:worker_threads";\\nconst { loop } = socket;\\n' + body;
  const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(src)), { workerData });
  w.exited = new Promise((resolve) => w.once('exit', resolve)); // listened for from the start
  return w;
}
`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', prelude + code], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    error: r.error,
    ms: performance.now() - t0,
  };
}

function lastJson(out: string): any {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// ------------------------------------------------ four workers at once

/** One worker's I/O: blocking, timeout mode, and loop.sock_*, against the main thread's echo server. */
const IO_WORKER = `
const { port, id } = workerData;
const out = { id, defaultTimeout: socket.getdefaulttimeout() };
const msg = (i) => Buffer.from(('worker ' + id + ' message ' + i + ' ').repeat(1 + (i % 50)));
function recvExactly(s, n) {
  const parts = [];
  let got = 0;
  for (let k = 0; k < 10000 && got < n; k++) {
    const d = s.recv(n - got);
    if (d.length === 0) break;
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts);
}
async function loopRecvExactly(s, n) {
  const parts = [];
  let got = 0;
  for (let k = 0; k < 10000 && got < n; k++) {
    const d = await loop.sock_recv(s, n - got);
    if (d.length === 0) break;
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts);
}
function elapsed(fn) {
  const t0 = performance.now();
  try { fn(); return { error: null, ms: performance.now() - t0 }; } catch (e) { return { error: e.name, ms: performance.now() - t0 }; }
}

// Blocking, with a peer (the main thread's event loop echoes).
{
  const c = socket.socket();
  const mode = c.gettimeout();
  c.connect(['127.0.0.1', port]);
  let ok = 0;
  for (let i = 0; i < 200; i++) { const m = msg(i); c.sendall(m); if (recvExactly(c, m.length).equals(m)) ok++; }
  c.close();
  out.blocking = { mode, ok };
}

// Timeout mode: the same round trips, then a recv, an accept and a connect that time out.
{
  const c = socket.create_connection(['127.0.0.1', port], 2);
  let ok = 0;
  for (let i = 0; i < 200; i++) { const m = msg(i); c.sendall(m); if (recvExactly(c, m.length).equals(m)) ok++; }
  c.close();
  const [a, b] = socket.socketpair();
  a.settimeout(0.2);
  const recv = elapsed(() => a.recv(10));
  const l = socket.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen();
  l.settimeout(0.2);
  const accept = elapsed(() => l.accept());
  a.close(); b.close(); l.close();
  out.timeout = { ok, recv, accept };
}

// loop.sock_* on this worker's own event loop: a socketpair, and the main thread's server.
{
  const [a, b] = socket.socketpair();
  a.setblocking(false);
  b.setblocking(false);
  let pair = 0;
  for (let i = 0; i < 200; i++) {
    const m = msg(i);
    const p = loopRecvExactly(a, m.length);
    await loop.sock_sendall(b, m);
    if ((await p).equals(m)) pair++;
  }
  a.close(); b.close();
  const c = socket.socket();
  c.setblocking(false);
  await loop.sock_connect(c, ['127.0.0.1', port]);
  let tcp = 0;
  for (let i = 0; i < 200; i++) {
    const m = msg(i);
    await loop.sock_sendall(c, m);
    if ((await loopRecvExactly(c, m.length)).equals(m)) tcp++;
  }
  c.close();
  out.loop = { pair, tcp };
}
parentPort.postMessage(out);
`;

describe('four workers load the addon at once and do blocking, timeout and loop I/O', () => {
  it('every worker completes every round trip; timeouts fire on time; the main thread serves them all', () => {
    const r = child(`
socket.setdefaulttimeout(7); // the main thread's default; each worker's module starts at null
const l = socket.create_server(['127.0.0.1', 0]);
l.setblocking(false);
const port = l.getsockname()[1];
let accepted = 0;
async function echo(conn) {
  try {
    for (let k = 0; k < 100000; k++) {
      const d = await loop.sock_recv(conn, 65536);
      if (d.length === 0) break;
      await loop.sock_sendall(conn, d);
    }
  } finally {
    conn.close();
  }
}
const echoes = [];
const server = (async () => {
  for (;;) {
    let conn;
    try { [conn] = await loop.sock_accept(l); } catch (e) { if (e.errno === 9) return; throw e; }
    accepted++;
    echoes.push(echo(conn));
  }
})();
const workers = [0, 1, 2, 3].map((id) => startWorker(${JSON.stringify(IO_WORKER)}, { port, id }));
const results = await bounded(Promise.all(workers.map((w) => new Promise((resolve, reject) => {
  w.once('message', resolve);
  w.once('error', reject);
}))), 20000, 'the workers');
const codes = await bounded(Promise.all(workers.map((w) => w.exited)), 5000, 'the workers\\' exit');
await bounded(Promise.all(echoes), 5000, 'the echo servers');
l.close(); // ends the accept loop (OSError [Errno 9])
await bounded(server, 5000, 'the accept loop');
console.log(JSON.stringify({ results, codes, accepted, mainDefault: socket.getdefaulttimeout() }));
`);
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.codes).toEqual([0, 0, 0, 0]);
    expect(out.accepted).toBe(12); // 3 connections per worker
    expect(out.mainDefault).toBe(7);
    expect(out.results.map((x: any) => x.id)).toEqual([0, 1, 2, 3]);
    for (const w of out.results) {
      expect(w.defaultTimeout).toBeNull();
      expect(w.blocking).toEqual({ mode: null, ok: 200 });
      expect(w.timeout.ok).toBe(200);
      expect(w.loop).toEqual({ pair: 200, tcp: 200 });
      for (const t of [w.timeout.recv, w.timeout.accept]) {
        expect(t.error).toBe('TimeoutError');
        expect(t.ms).toBeGreaterThanOrEqual(200);
        expect(t.ms).toBeLessThan(200 + 1500);
      }
    }
  });
});

// ------------------------------------------------ terminating workers mid-wait

/**
 * Workers that each announce (postMessage) what they are about to wait in,
 * then wait: blocking recv, accept and sendall (released by the main thread),
 * timeout-mode recv, sendall and connect (1 s, released by the timeout), and a
 * loop.sock_recv (no syscall waits).
 */
const WAITING_WORKER = `
const { kind } = workerData;
const now = () => performance.timeOrigin + performance.now();
const ready = (extra = {}) => parentPort.postMessage({ kind, at: now(), ...extra });
if (kind === 'blocking-recv') {
  const [a, b] = socket.socketpair();
  ready({ fd: b.detach() });
  a.recv(10);
} else if (kind === 'blocking-accept') {
  const l = socket.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen();
  ready({ port: l.getsockname()[1] });
  l.accept();
} else if (kind === 'blocking-sendall') {
  const [a, b] = socket.socketpair();
  ready({ fd: b.detach() });
  a.sendall(Buffer.alloc(${8 << 20}));
} else if (kind === 'timeout-recv') {
  const [a, b] = socket.socketpair();
  a.settimeout(1);
  ready();
  a.recv(10);
} else if (kind === 'timeout-sendall') {
  const [a, b] = socket.socketpair();
  a.settimeout(1);
  ready();
  a.sendall(Buffer.alloc(${8 << 20}));
} else if (kind === 'timeout-connect') {
  // A full listener: its one backlog slot taken, further SYNs are dropped.
  const l = socket.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen(0);
  const filler = socket.socket();
  filler.settimeout(2);
  filler.connect(l.getsockname());
  const probe = socket.socket();
  probe.settimeout(0.2);
  let full = false;
  try { probe.connect(l.getsockname()); } catch (e) { full = e instanceof socket.TimeoutError; }
  probe.close();
  const c = socket.socket();
  c.settimeout(1);
  ready({ full });
  c.connect(l.getsockname());
} else if (kind === 'loop-recv') {
  const [a, b] = socket.socketpair();
  a.setblocking(false);
  loop.sock_recv(a, 10).catch(() => {});
  ready();
}
`;

/** A quick check that a new worker loads the addon and works (after the terminations). */
const FRESH_WORKER = `
const [a, b] = socket.socketpair();
a.settimeout(2);
b.sendall(Buffer.from('ping ' + workerData));
const got = String(a.recv(100));
a.settimeout(0.05);
let timedOut = false;
try { a.recv(10); } catch (e) { timedOut = e instanceof socket.TimeoutError; }
a.close(); b.close();
parentPort.postMessage({ got, timedOut });
`;

describe('terminating workers while they wait', () => {
  it('blocking, timeout-mode and loop waits: terminate() resolves once the call ends, and the process goes on', () => {
    const r = child(`
const kinds = ['blocking-recv', 'blocking-accept', 'blocking-sendall', 'timeout-recv', 'timeout-sendall', 'timeout-connect', 'loop-recv'];
const workers = new Map();
const ready = await bounded(Promise.all(kinds.map((kind) => {
  const w = startWorker(${JSON.stringify(WAITING_WORKER)}, { kind });
  workers.set(kind, w);
  return new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
})), 10000, 'the workers\\' ready');
const info = Object.fromEntries(ready.map((m) => [m.kind, m]));
await tick(150); // every worker is inside its call by now
const t0 = performance.now();
const ended = {};
const terminating = kinds.map((kind) => workers.get(kind).terminate().then((code) => {
  ended[kind] = { code, ms: performance.now() - t0, sinceCall: performance.timeOrigin + performance.now() - info[kind].at };
}));
// Release the blocking calls 300 ms later, from this thread.
await tick(300);
const mine = [];
const recvPeer = socket.socket(undefined, undefined, undefined, info['blocking-recv'].fd);
mine.push(recvPeer);
recvPeer.sendall(Buffer.from('x'));
const client = socket.socket();
mine.push(client);
client.setblocking(false);
await bounded(loop.sock_connect(client, ['127.0.0.1', info['blocking-accept'].port]), 5000, 'connect');
const drainPeer = socket.socket(undefined, undefined, undefined, info['blocking-sendall'].fd);
mine.push(drainPeer);
drainPeer.setblocking(false);
let drained = 0;
for (let k = 0; k < 100000 && drained < ${8 << 20}; k++) drained += (await bounded(loop.sock_recv(drainPeer, 1 << 20), 5000, 'drain')).length;
await bounded(Promise.all(terminating), 10000, 'terminate()');
// The process still works: the event loop, blocking calls, and new workers.
const [a, b] = socket.socketpair();
a.setblocking(false);
const p = loop.sock_recv(a, 100);
setTimeout(() => b.send(Buffer.from('alive')), 20);
const alive = String(await bounded(p, 5000, 'sock_recv'));
a.close(); b.close();
const fresh = [0, 1, 2, 3].map((i) => startWorker(${JSON.stringify(FRESH_WORKER)}, i));
const freshResults = await bounded(Promise.all(fresh.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }))), 10000, 'fresh workers');
const freshCodes = await bounded(Promise.all(fresh.map((w) => w.exited)), 5000, 'fresh workers\\' exit');
for (const s of mine) s.close();
console.log(JSON.stringify({ ended, drained, alive, freshResults, freshCodes, full: info['timeout-connect'].full }));
`);
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull(); // no crash (SIGSEGV, SIGABRT), no hang (SIGKILL)
    expect(r.status, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    for (const kind of [
      'blocking-recv',
      'blocking-accept',
      'blocking-sendall',
      'timeout-recv',
      'timeout-sendall',
      'timeout-connect',
      'loop-recv',
    ]) {
      expect(out.ended[kind]?.code, kind).toBe(1);
    }
    // Blocked in the kernel: terminate() waited for the main thread's release (300 ms after it).
    for (const kind of ['blocking-recv', 'blocking-accept', 'blocking-sendall']) {
      expect(out.ended[kind].ms, kind).toBeGreaterThanOrEqual(250);
      expect(out.ended[kind].ms, kind).toBeLessThan(8000);
    }
    // In timeout mode: the call ended by its 1 s timeout, counted from the worker's call.
    expect(out.full).toBe(true);
    for (const kind of ['timeout-recv', 'timeout-sendall', 'timeout-connect']) {
      expect(out.ended[kind].sinceCall, kind).toBeGreaterThanOrEqual(1000 - 20); // two threads' clocks
      expect(out.ended[kind].sinceCall, kind).toBeLessThan(1000 + 1500);
    }
    // Waiting on the event loop: no syscall holds the thread.
    expect(out.ended['loop-recv'].ms).toBeLessThan(1000);
    expect(out.drained).toBe(8 << 20);
    expect(out.alive).toBe('alive');
    expect(out.freshResults).toEqual([0, 1, 2, 3].map((i) => ({ got: `ping ${i}`, timedOut: true })));
    expect(out.freshCodes).toEqual([0, 0, 0, 0]);
  });
});
