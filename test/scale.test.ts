// SEMANTICS §9: select(), poll() and DefaultSelector each watching 10,000 fds
// (5,000 socketpairs), a few made ready: exactly those are reported. select()
// is built on poll(2), so fds above FD_SETSIZE (1024) work, where CPython's
// select() refuses them. Each scenario runs in a child process whose soft
// RLIMIT_NOFILE is raised to the hard limit (bash `ulimit -n`), under a
// watchdog; the child imports the built package (dist/).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { python, root } from './helpers.js';

const WANTED_PAIRS = 5000;
/** fds the child needs besides the pairs (node itself, stdio, epoll, slack). */
const SLACK = 200;

const hardText = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
const hard = hardText === 'unlimited' ? Infinity : Number(hardText);
const PAIRS = Math.min(WANTED_PAIRS, Math.floor((hard - SLACK) / 2));
const FDS = 2 * PAIRS;
const LIMIT = Number.isFinite(hard) ? hard : FDS + SLACK + 1000;
const what =
  PAIRS === WANTED_PAIRS ? '10,000 fds' : `${FDS} fds (the hard RLIMIT_NOFILE ${hard} allows no more than that)`;

/**
 * Runs `script` (the body of an async function returning a JSON-able value) in a
 * child node with RLIMIT_NOFILE raised. In scope: socket, select, poll, POLLIN,
 * DefaultSelector, EVENT_READ, N (pairs), makePairs(n), fdCount(), elapsed(fn).
 */
function scaled(script: string): any {
  const dist = (f: string) => JSON.stringify(join(root, 'dist', f));
  const code = `
import * as socket from ${dist('index.js')};
import { select, poll, POLLIN } from ${dist('select.js')};
import { DefaultSelector, EVENT_READ } from ${dist('selectors.js')};
import { readdirSync } from 'node:fs';
const N = ${PAIRS};
const fdCount = () => readdirSync('/proc/self/fd').length;
function makePairs(n) {
  const pairs = [];
  for (let i = 0; i < n; i++) pairs.push(socket.socketpair());
  return pairs;
}
function elapsed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, (performance.now() - t0) / 1000];
}
const main = async () => { ${script} };
console.log(JSON.stringify(await main()));
process.exit(0);
`;
  const r = spawnSync(
    'bash',
    ['-c', `ulimit -n ${LIMIT} && exec "$0" --input-type=module -e "$1"`, process.execPath, code],
    {
      encoding: 'utf8',
      timeout: 120_000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`child exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Which pairs are made ready: the first, one in the middle, the last (the highest fds). */
const READY = [0, PAIRS >> 1, PAIRS - 1];

/** Generous: a poll(2) over 10,000 fds takes milliseconds. */
const BOUND = 10;

describe(`at scale: ${what}`, () => {
  it(`RLIMIT_NOFILE allows the scenario (hard limit ${hardText})`, () => {
    expect(PAIRS).toBeGreaterThanOrEqual(600); // enough for fds above 1024 at least
  });

  it(`select() over ${what} reports exactly the ready ones, fds above 1024 included`, () => {
    const r = scaled(`
const pairs = makePairs(N);
try {
  const all = pairs.flat();
  const fds = all.map((s) => s.fileno());
  const out = { n: all.length, maxFd: Math.max(...fds), distinct: new Set(fds).size };
  const [idle, tIdle] = elapsed(() => select(all, [], all, 0));
  out.idle = idle.map((l) => l.length);
  out.tIdle = tIdle;
  for (const i of ${JSON.stringify(READY)}) pairs[i][1].send(Buffer.from('x'));
  const [[rd, wr, ex], tReady] = elapsed(() => select(all, [], all, 5));
  out.readable = rd.map((s) => all.indexOf(s));
  out.identity = rd.every((s, k) => s === all[out.readable[k]]);
  out.exceptional = ex.length;
  out.tReady = tReady;
  const [[, w], tWrite] = elapsed(() => select([], all, [], 0));
  out.writable = w.length;
  out.writableInOrder = w.every((s, k) => s === all[k]);
  out.tWrite = tWrite;
  // fd numbers work the same way: the highest fd alone, as a number
  const high = pairs[N - 1][0].fileno();
  const [hr] = select([high], [], [], 1);
  out.high = [high, hr];
  return out;
} finally {
  for (const s of pairs.flat()) s.close();
}`);
    expect(r.n).toBe(FDS);
    expect(r.distinct).toBe(FDS);
    expect(r.maxFd).toBeGreaterThan(1024); // beyond FD_SETSIZE
    expect(r.idle).toEqual([0, 0, 0]);
    expect(r.readable).toEqual(READY.map((i) => 2 * i)); // the a side of each ready pair, in input order
    expect(r.identity).toBe(true);
    expect(r.exceptional).toBe(0);
    expect(r.writable).toBe(FDS);
    expect(r.writableInOrder).toBe(true);
    expect(r.high[1]).toEqual([r.high[0]]);
    expect(r.high[0]).toBeGreaterThan(1024);
    for (const t of [r.tIdle, r.tReady, r.tWrite]) expect(t).toBeLessThan(BOUND);
  });

  it(`poll() with ${what} registered reports exactly the ready ones`, () => {
    const r = scaled(`
const pairs = makePairs(N);
try {
  const p = poll();
  for (const [a, b] of pairs) { p.register(a, POLLIN); p.register(b.fileno(), POLLIN); }
  const [idle, tIdle] = elapsed(() => p.poll(0));
  for (const i of ${JSON.stringify(READY)}) pairs[i][1].send(Buffer.from('x'));
  const [ready, tReady] = elapsed(() => p.poll(5000));
  const index = new Map(pairs.flat().map((s, k) => [s.fileno(), k]));
  const maxFd = Math.max(...index.keys());
  for (const i of ${JSON.stringify(READY)}) pairs[i][0].recv(1);
  const [drained, tDrained] = elapsed(() => p.poll(0));
  return { idle, tIdle, ready: ready.map(([fd, ev]) => [index.get(fd), ev]).sort((x, y) => x[0] - y[0]), tReady, drained, tDrained, maxFd };
} finally {
  for (const s of pairs.flat()) s.close();
}`);
    expect(r.idle).toEqual([]);
    expect(r.ready).toEqual(READY.map((i) => [2 * i, 1])); // POLLIN on the a side only
    expect(r.drained).toEqual([]);
    expect(r.maxFd).toBeGreaterThan(1024);
    for (const t of [r.tIdle, r.tReady, r.tDrained]) expect(t).toBeLessThan(BOUND);
  });

  it(`DefaultSelector with ${what} registered reports exactly the ready ones; fds are all released`, () => {
    const r = scaled(`
const before = fdCount();
const pairs = makePairs(N);
const sel = new DefaultSelector();
let out;
try {
  pairs.forEach(([a, b], i) => { sel.register(a, EVENT_READ, 2 * i); sel.register(b, EVENT_READ, 2 * i + 1); });
  out = { registered: sel.get_map().size, kind: sel.constructor.name };
  const [idle, tIdle] = elapsed(() => sel.select(0));
  for (const i of ${JSON.stringify(READY)}) pairs[i][1].send(Buffer.from('x'));
  const [ready, tReady] = elapsed(() => sel.select(5));
  out.idle = idle.length;
  out.ready = ready.map(([key, ev]) => [key.data, ev, key.fileobj === pairs[key.data >> 1][key.data & 1]]).sort((x, y) => x[0] - y[0]);
  for (const i of ${JSON.stringify(READY)}) pairs[i][0].recv(1);
  const [drained, tDrained] = elapsed(() => sel.select(0));
  out.drained = drained.length;
  out.times = [tIdle, tReady, tDrained];
  for (const [a, b] of pairs) { sel.unregister(a); sel.unregister(b); }
  out.left = sel.get_map().size;
} finally {
  sel.close();
  for (const s of pairs.flat()) s.close();
}
out.leaked = fdCount() - before;
return out;`);
    expect(r.kind).toBe('EpollSelector');
    expect(r.registered).toBe(FDS);
    expect(r.idle).toBe(0);
    expect(r.ready).toEqual(READY.map((i) => [2 * i, 1, true]));
    expect(r.drained).toBe(0);
    expect(r.left).toBe(0);
    expect(r.leaked).toBe(0);
    for (const t of r.times) expect(t).toBeLessThan(BOUND);
  });

  it("CPython's select() refuses an fd above FD_SETSIZE that ours accepts (better than the reference)", () => {
    const py = python(`
import select, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
pairs = [socket.socketpair() for _ in range(600)]
a, b = pairs[-1]
b.send(b'x')
o = observe(lambda: select.select([a], [], [], 0))
o['value'] = None
out = [a.fileno(), o]
for x, y in pairs:
    x.close(); y.close()
return out`);
    expect(py[0]).toBeGreaterThan(1024);
    expect(py[1]).toMatchObject({ ok: false, error: 'ValueError', message: 'filedescriptor out of range in select()' });
    const r = scaled(`
const pairs = makePairs(600);
try {
  const [a, b] = pairs[599];
  b.send(Buffer.from('x'));
  const [rd] = select([a], [], [], 1);
  return [a.fileno(), rd.length === 1 && rd[0] === a];
} finally {
  for (const s of pairs.flat()) s.close();
}`);
    expect(r[0]).toBeGreaterThan(1024);
    expect(r[1]).toBe(true);
  });
});
