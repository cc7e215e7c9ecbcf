// SEMANTICS §3 (EINTR) and §11 (signals), §12 (a throwing listener).
//
// Each scenario runs in a child process (test/helpers `node()`, under a
// SIGKILL watchdog) because the calls block. The child installs JS listeners
// for SIGALRM and SIGUSR1, hands a Python peer process the other end of the
// connection (as its fd 3), waits for the peer's "ready", then makes one call
// while the peer sends it SIGALRM/SIGUSR1 every ~2 ms (a bounded count) and
// only then does what ends the call (send data, connect, accept the listener's
// filler, drain). Checked for every call:
// - the result is right (data, connection, peer address, bytes drained);
// - no InterruptedError escapes;
// - no listener ran while the call was in progress, and they ran after it;
// - a timeout fires no earlier than the timeout and no later than the timeout
//   plus a margin, although signals keep coming for much longer than that
//   margin (a timeout restarted by EINTR would run past it).
// A signal without a listener keeps its default action: SIGTERM, SIGINT or
// SIGALRM end a child sitting in a blocking recv (it exits by that signal).
// Loopback and socketpairs only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNoFdLeaks, node, root } from './helpers.js';

checkNoFdLeaks();

const DIST = join(root, 'dist', 'index.js');

/** The timeout of the "timeout fires" scenarios, and the margin allowed above it. */
const T = 0.3;
const MARGIN = 1.5;
/** Signals sent while a timeout runs out: ~2 ms apart, so they last far longer than T + MARGIN. */
const LONG_BURST = 1500;
/** Signals sent before the peer does what ends a call. */
const BURST = 150;

/**
 * The peer: a Python process. argv[1] is JSON `{ pid, fd, sigs, steps }`;
 * fd 3 is its socket when `fd`. It prints "ready", runs the steps, then its
 * report as one JSON line. SIGTERM stops a signal burst or a wait_stop.
 * Every step is bounded: signals by count, sockets by a 10 s timeout.
 */
const PEER = String.raw`
import hashlib, json, os, signal, socket, sys, time
cfg = json.loads(sys.argv[1])
pid = cfg['pid']
SIGS = [getattr(signal, n) for n in cfg.get('sigs', ['SIGALRM', 'SIGUSR1'])]
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
out = {'signals': 0}
s = socket.socket(fileno=3) if cfg.get('fd') else None
if s is not None:
    s.settimeout(10)
held = []
BLOCK = bytes((i * 31 + 7) & 255 for i in range(256))
def pattern(n):
    return (BLOCK * (n // 256 + 1))[:n]
def kill():
    if stop:
        return False
    try:
        os.kill(pid, SIGS[out['signals'] % len(SIGS)])
    except ProcessLookupError:
        return False
    out['signals'] += 1
    return True
print('ready', flush=True)
for step in cfg['steps']:
    op = step[0]
    if op == 'signals':
        for _ in range(step[1]):
            if not kill():
                break
            time.sleep(step[2])
        out['burst'] = out['signals']
    elif op == 'send':
        s.sendall(pattern(step[1]))
    elif op == 'drain':
        h = hashlib.sha256()
        n = 0
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
            kill()
        out['drained'] = n
        out['sha256'] = h.hexdigest()
    elif op == 'connect':
        c = socket.create_connection((step[1], step[2]), 5)
        held.append(c)
        out['sockname'] = list(c.getsockname())
    elif op == 'accept':
        c, _ = s.accept()
        held.append(c)
    elif op == 'wait_stop':
        t = time.monotonic()
        while not stop and time.monotonic() - t < step[1]:
            time.sleep(0.005)
print(json.dumps(out), flush=True)
`;

/**
 * Child-side helpers (the body of the child's main, before the scenario):
 * listeners, the peer, the byte pattern, a full listener, and `measure`.
 */
const PRELUDE = `
const { spawn } = await import('node:child_process');
const { createHash } = await import('node:crypto');
let count = 0;
for (const name of arg.listen) process.on(name, () => { count++; });
const BLOCK = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) & 255));
const pattern = (n) => { const b = Buffer.alloc(n); for (let o = 0; o < n; o += 256) BLOCK.copy(b, o); return b; };
const sha = (b) => createHash('sha256').update(b).digest('hex');
const tick = (ms) => new Promise((r) => setTimeout(r, ms));
/** Starts the peer with steps (and fd as its fd 3); resolves ready, then its report. */
function peer(steps, fd) {
  const cfg = { pid: process.pid, fd: fd !== undefined, sigs: arg.sigs, steps };
  const p = spawn('python3', ['-c', arg.peer, JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'inherit', ...(fd !== undefined ? [fd] : [])],
  });
  let out = '';
  let onReady;
  const ready = new Promise((r, reject) => { onReady = r; p.on('error', reject); });
  const done = new Promise((resolve) => {
    p.stdout.on('data', (d) => { out += d; if (out.startsWith('ready\\n')) onReady(); });
    p.on('close', (code, signal) => {
      onReady();
      const lines = out.trim().split('\\n');
      resolve({ code, signal, report: lines.length > 1 ? JSON.parse(lines[lines.length - 1]) : null });
    });
  });
  return { p, ready, done, stop: () => p.kill('SIGTERM') };
}
/** A listener whose one backlog slot is taken: a further SYN is dropped until the filler is accepted. */
function fullListener() {
  const l = socket.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen(0);
  const address = l.getsockname();
  const filler = socket.socket();
  filler.settimeout(2);
  filler.connect(address);
  const probe = socket.socket();
  probe.settimeout(0.2);
  const full = observe(() => probe.connect(address)).error === 'TimeoutError';
  probe.close();
  return { l, address, full, close() { filler.close(); l.close(); } };
}
/** One call: its observation, and the listener count just before and just after it. */
function measure(fn) {
  const before = count;
  const o = observe(fn);
  return { o, before, atReturn: count };
}
/** After the call: the peer's report, once the event loop has run the listeners. */
async function finish(m, P, extra = {}) {
  const { code, signal, report } = await P.done;
  await tick(30);
  return { ...m, after: count, peer: { code, signal, report }, ...extra };
}
`;

interface Result {
  o: { ok: boolean; value?: any; error?: string; errno?: number | null; message?: string; elapsed: number };
  before: number;
  atReturn: number;
  after: number;
  peer: { code: number | null; signal: string | null; report: any };
  [k: string]: any;
}

function run(scenario: string, listen = ['SIGALRM', 'SIGUSR1'], sigs = ['SIGALRM', 'SIGUSR1']): Result {
  return node(PRELUDE + scenario, { peer: PEER, listen, sigs }, 25_000) as Result;
}

/** What every scenario must show about the signals. */
function checkSignals(r: Result, minSignals: number): void {
  expect(r.o.error).not.toBe('InterruptedError');
  expect(r.peer.code, JSON.stringify(r.peer)).toBe(0);
  expect(r.peer.report.burst).toBeGreaterThanOrEqual(minSignals); // they came while the call waited
  expect(r.atReturn).toBe(r.before); // no listener ran inside the call
  expect(r.after).toBeGreaterThan(r.atReturn); // they ran after it returned
}

/** A timeout that ran out under signals: not early, not restarted. */
function checkTimedOut(r: Result): void {
  expect(r.o).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
  expect(r.o.elapsed).toBeGreaterThanOrEqual(T);
  expect(r.o.elapsed).toBeLessThan(T + MARGIN);
  checkSignals(r, 20);
}

describe('recv under a stream of SIGALRM/SIGUSR1 with JS listeners', () => {
  const recvScenario = (timeout: number | null) => `
const [a, b] = socket.socketpair();
a.settimeout(${timeout});
const P = peer([['signals', ${BURST}, 0.002], ['send', 1000]], b.fileno());
b.close();
await P.ready;
const m = measure(() => { const d = a.recv(65536); return { len: d.length, same: d.equals(pattern(1000)) }; });
a.close();
return finish(m, P);`;

  it('blocking recv returns the data sent after the signals', () => {
    const r = run(recvScenario(null));
    expect(r.o).toMatchObject({ ok: true, value: { len: 1000, same: true } });
    expect(r.o.elapsed).toBeGreaterThanOrEqual(BURST * 0.002);
    checkSignals(r, BURST);
  });

  it('timeout-mode recv (5 s) returns the data sent after the signals', () => {
    const r = run(recvScenario(5));
    expect(r.o).toMatchObject({ ok: true, value: { len: 1000, same: true } });
    expect(r.o.elapsed).toBeGreaterThanOrEqual(BURST * 0.002);
    expect(r.o.elapsed).toBeLessThan(5);
    checkSignals(r, BURST);
  });

  it(`timeout-mode recv with no data: TimeoutError after ${T} s, not restarted by the signals`, () => {
    const r = run(`
const [a, b] = socket.socketpair();
a.settimeout(${T});
const P = peer([['signals', ${LONG_BURST}, 0.002]], b.fileno());
b.close();
await P.ready;
const m = measure(() => a.recv(100));
P.stop();
a.close();
return finish(m, P);`);
    checkTimedOut(r);
  });
});

describe('accept under signals', () => {
  const acceptScenario = (timeout: number | null) => `
const l = socket.socket();
l.bind(['127.0.0.1', 0]);
l.listen();
l.settimeout(${timeout});
const [host, port] = l.getsockname();
const P = peer([['signals', ${BURST}, 0.002], ['connect', host, port], ['wait_stop', 10]]);
await P.ready;
const m = measure(() => { const [conn, addr] = l.accept(); const peerPort = conn.getpeername()[1]; conn.close(); return { port: addr[1], peerPort }; });
P.stop();
l.close();
return finish(m, P);`;

  for (const timeout of [null, 5]) {
    it(`${timeout === null ? 'blocking' : 'timeout-mode (5 s)'} accept returns the connection made after the signals`, () => {
      const r = run(acceptScenario(timeout));
      expect(r.o.ok, JSON.stringify(r.o)).toBe(true);
      expect(r.o.value.port).toBe(r.peer.report.sockname[1]); // the peer's connection
      expect(r.o.value.peerPort).toBe(r.peer.report.sockname[1]);
      expect(r.o.elapsed).toBeGreaterThanOrEqual(BURST * 0.002);
      expect(r.o.elapsed).toBeLessThan(5);
      checkSignals(r, BURST);
    });
  }

  it(`timeout-mode accept with nobody connecting: TimeoutError after ${T} s, not restarted`, () => {
    const r = run(`
const l = socket.socket();
l.bind(['127.0.0.1', 0]);
l.listen();
l.settimeout(${T});
const P = peer([['signals', ${LONG_BURST}, 0.002]]);
await P.ready;
const m = measure(() => l.accept());
P.stop();
l.close();
return finish(m, P);`);
    checkTimedOut(r);
  });
});

describe('connect under signals (a full listener: the SYN is dropped until the peer accepts the filler)', () => {
  // The peer holds the listener (fd 3) and accepts the filler after the
  // signals; the client's SYN is retransmitted ~1 s after connect() started.
  const connectScenario = (timeout: number | null) => `
const F = fullListener();
if (!F.full) { F.close(); return { setup: 'the listener was not full' }; }
const c = socket.socket();
c.settimeout(${timeout});
const P = peer([['signals', ${BURST}, 0.002], ['accept'], ['wait_stop', 10]], F.l.fileno());
await P.ready;
const m = measure(() => { c.connect(F.address); return c.getpeername()[1] === F.address[1]; });
P.stop();
c.close();
F.close();
return finish(m, P);`;

  for (const timeout of [null, 5]) {
    it(`${timeout === null ? 'blocking' : 'timeout-mode (5 s)'} connect completes once the listener has room`, () => {
      const r = run(connectScenario(timeout));
      expect(r.setup).toBeUndefined();
      expect(r.o).toMatchObject({ ok: true, value: true });
      expect(r.o.elapsed).toBeGreaterThanOrEqual(BURST * 0.002);
      expect(r.o.elapsed).toBeLessThan(5);
      checkSignals(r, BURST);
    });
  }

  it(`timeout-mode connect that is never answered: TimeoutError after ${T} s, not restarted`, () => {
    const r = run(`
const F = fullListener();
if (!F.full) { F.close(); return { setup: 'the listener was not full' }; }
const c = socket.socket();
c.settimeout(${T});
const P = peer([['signals', ${LONG_BURST}, 0.002]]);
await P.ready;
const m = measure(() => c.connect(F.address));
P.stop();
c.close();
F.close();
return finish(m, P);`);
    expect(r.setup).toBeUndefined();
    checkTimedOut(r);
  });
});

describe('sendall under signals', () => {
  // 4 MiB over a socketpair: the peer starts draining after the burst and
  // sends a signal after every chunk it reads, so sends are interrupted mid-way.
  const SIZE = 4 << 20;
  const sendallScenario = (timeout: number | null) => `
const [a, b] = socket.socketpair();
a.settimeout(${timeout});
const P = peer([['signals', 100, 0.002], ['drain']], b.fileno());
b.close();
await P.ready;
const data = pattern(${SIZE});
const m = measure(() => a.sendall(data));
a.close(); // the peer's drain ends at EOF
return finish(m, P, { sha: sha(data) });`;

  for (const timeout of [null, 10]) {
    it(`${timeout === null ? 'blocking' : 'timeout-mode (10 s)'} sendall of 4 MiB delivers every byte in order`, () => {
      const r = run(sendallScenario(timeout));
      expect(r.o).toMatchObject({ ok: true, value: null });
      expect(r.peer.report.drained).toBe(SIZE);
      expect(r.peer.report.sha256).toBe(r.sha);
      expect(r.peer.report.signals).toBeGreaterThan(100); // more came while it drained
      expect(r.o.elapsed).toBeGreaterThanOrEqual(0.1); // it spanned the burst (100 signals ~2 ms apart; the peer may start it before timing starts)
      expect(r.o.elapsed).toBeLessThan(10);
      checkSignals(r, 100);
    });
  }

  it(`timeout-mode sendall to a peer that never reads: TimeoutError after ${T} s, not restarted`, () => {
    const r = run(`
const [a, b] = socket.socketpair();
a.settimeout(${T});
const P = peer([['signals', ${LONG_BURST}, 0.002]], b.fileno());
b.close();
await P.ready;
const m = measure(() => a.sendall(pattern(${SIZE})));
P.stop();
a.close();
return finish(m, P);`);
    checkTimedOut(r);
  });
});

describe('signals without a JS listener keep their default action', () => {
  /**
   * A child with a listener for SIGUSR1 only, sitting in a blocking recv that
   * never gets data; a killer process sends it 50 SIGUSR1 then `sig`.
   */
  function blockedChild(sig: string) {
    const killer = `import os, signal, sys, time
pid = int(sys.argv[1])
for _ in range(50):
    os.kill(pid, signal.SIGUSR1)
    time.sleep(0.002)
os.kill(pid, getattr(signal, sys.argv[2]))`;
    const code = `
import * as socket from ${JSON.stringify(DIST)};
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
let usr1 = 0;
process.on('SIGUSR1', () => { usr1++; });
const [a, b] = socket.socketpair();
spawn('python3', ['-c', ${JSON.stringify(killer)}, String(process.pid), ${JSON.stringify(sig)}], { stdio: 'ignore' });
writeSync(1, 'waiting\\n');
const d = a.recv(10); // no data ever comes
writeSync(1, 'returned ' + d.length + ' ' + usr1 + '\\n');
`;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    return { ...r, ms: performance.now() - t0 };
  }

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGALRM']) {
    it(`${sig} with no listener ends a child blocked in recv: it exits by ${sig}`, () => {
      const r = blockedChild(sig);
      expect(r.error).toBeUndefined();
      expect(r.stdout).toContain('waiting');
      expect(r.stdout).not.toContain('returned');
      expect(r.signal, r.stderr).toBe(sig); // not SIGKILL from the watchdog
      expect(r.status).toBeNull();
      expect(r.ms).toBeLessThan(8000);
    });
  }
});

describe('a listener that throws (SEMANTICS §12)', () => {
  it('runs after the blocking call returned its data; its exception is an ordinary uncaught exception', () => {
    const code = `
import * as socket from ${JSON.stringify(DIST)};
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
process.on('SIGUSR1', () => { throw new Error('thrown by the SIGUSR1 listener'); });
const [a, b] = socket.socketpair();
const peer = ${JSON.stringify(PEER)};
const P = spawn('python3', ['-c', peer, JSON.stringify({ pid: process.pid, fd: true, sigs: ['SIGUSR1'], steps: [['signals', 50, 0.002], ['send', 300]] })], {
  stdio: ['ignore', 'ignore', 'inherit', b.fileno()],
});
b.close();
const d = a.recv(1000); // the peer is starting: the signals come while this waits
writeSync(1, JSON.stringify({ len: d.length, first: [...d.subarray(0, 3)] }) + '\\n');
setTimeout(() => { writeSync(1, 'no exception\\n'); process.exit(0); }, 3000);
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    expect(r.error).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(1); // the uncaught exception
    const lines = r.stdout.trim().split('\n');
    expect(JSON.parse(lines[0])).toEqual({ len: 300, first: [7, 38, 69] }); // the call's own result
    expect(r.stdout).not.toContain('no exception');
    expect(r.stderr).toContain('thrown by the SIGUSR1 listener');
  });
});
