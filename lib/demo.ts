/**
 * `sockmode demo`: the scenarios of Python's socket-timeout documentation and
 * the two seed articles, run for real on loopback, each step showing what it
 * did, its outcome (class, errno, message), the elapsed time and the mode
 * triple (gettimeout / getblocking / the fd's O_NONBLOCK read back with fcntl).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pyRepr } from './args.js';
import * as socket from './index.js';

/** What one step observed. */
export interface StepResult {
  /** What was done, in Python-like notation. */
  action: string;
  ok: boolean;
  /** The returned value, when it is worth showing. */
  value?: unknown;
  /** The error's class, errno and message, when it failed. */
  error?: string;
  errno?: number | null;
  message?: string;
  /** Seconds. */
  elapsed: number;
  /** The mode triple of the socket named by the step, after it ran. */
  mode?: { gettimeout: number | null; getblocking: boolean; O_NONBLOCK: boolean };
  /** What the contract says should happen, and whether it did. */
  expected: string;
  pass: boolean;
}

/** One scenario's result. */
export interface ScenarioResult {
  name: string;
  title: string;
  steps: StepResult[];
  pass: boolean;
}

type Outcome = Omit<StepResult, 'action' | 'expected' | 'pass' | 'mode'>;

class Recorder {
  steps: StepResult[] = [];
  constructor(readonly t: number) {}

  /** Runs fn, records its outcome, and checks it against `expect`. */
  step(
    action: string,
    fn: () => unknown,
    expected: string,
    check: (o: Outcome) => boolean,
    show?: socket.Socket,
  ): Outcome {
    const t0 = performance.now();
    let o: Outcome;
    try {
      const value = fn();
      o = { ok: true, elapsed: 0, ...(value === undefined ? {} : { value }) };
    } catch (e) {
      const err = e as socket.OSError;
      o = { ok: false, elapsed: 0, error: err.name, errno: err.errno ?? null, message: err.message };
    }
    o.elapsed = (performance.now() - t0) / 1000;
    this.record(action, o, expected, check(o), show);
    return o;
  }

  record(action: string, o: Outcome, expected: string, pass: boolean, show?: socket.Socket): void {
    const mode = show && show.fileno() >= 0 ? modeOf(show) : undefined;
    this.steps.push({ action, ...o, ...(mode ? { mode } : {}), expected, pass });
  }
}

function modeOf(s: socket.Socket) {
  return { gettimeout: s.gettimeout(), getblocking: s.getblocking(), O_NONBLOCK: !socket.get_blocking(s.fileno()) };
}

const raises = (cls: string, errno?: number | null) => (o: Outcome) =>
  !o.ok && o.error === cls && (errno === undefined || o.errno === errno);
/** A timeout that fired no earlier than t, and not absurdly late. */
const timedOutAfter = (t: number) => (o: Outcome) =>
  raises('TimeoutError', null)(o) && o.message === 'timed out' && o.elapsed >= t && o.elapsed < t + 2;

/** A listener that never accepts, its one backlog slot taken: connects to it hang. */
function fullListener(): { address: [string, number]; close(): void } {
  const l = socket.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen(0);
  const address = l.getsockname() as [string, number];
  const filler = socket.create_connection(address, 1);
  return {
    address,
    close() {
      filler.close();
      l.close();
    },
  };
}

/**
 * A worker thread that, once loaded, sends `text` on each of `fds` after
 * `delayMs`: a peer that keeps running while this thread sits in select().
 * Resolves when the worker is ready; `done` when it has sent.
 */
async function sendLater(fds: number[], delayMs: number, text: string): Promise<{ done: Promise<void> }> {
  const index = pathToFileURL(fileURLToPath(new URL('./index.js', import.meta.url))).href;
  const code = `import { parentPort, workerData } from 'node:worker_threads';
import * as socket from ${JSON.stringify(index)};
const socks = workerData.fds.map((fd) => socket.fromfd(fd, socket.AF_UNIX, socket.SOCK_STREAM));
parentPort.postMessage('ready');
setTimeout(() => { for (const s of socks) { s.sendall(Buffer.from(workerData.text)); s.close(); } }, workerData.delayMs);`;
  const worker = new Worker(new URL('data:text/javascript,' + encodeURIComponent(code)), {
    workerData: { fds, delayMs, text },
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return { done: new Promise<void>((resolve) => worker.once('exit', () => resolve())) };
}

interface Scenario {
  name: string;
  title: string;
  run(r: Recorder): void | Promise<void>;
}

const fmt = (v: number | null) => (v === null ? 'null' : String(v));

/** The scenarios, in the order of the seed material. */
export const scenarios: Scenario[] = [
  {
    name: 'modes',
    title: 'The three modes: what the object says and what the fd says',
    run(r) {
      using s = socket.socket();
      r.step(
        's = socket()',
        () => undefined,
        'blocking by default: null / true / clear',
        () => s.gettimeout() === null && s.getblocking() && socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        's.settimeout(null)',
        () => s.settimeout(null),
        'blocking: null / true / clear',
        () => s.gettimeout() === null && s.getblocking() && socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        's.settimeout(0)',
        () => s.settimeout(0),
        'non-blocking: 0 / false / set',
        () => s.gettimeout() === 0 && !s.getblocking() && !socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        `s.settimeout(${r.t})`,
        () => s.settimeout(r.t),
        `timeout mode: ${r.t} / true / set (poll does the waiting)`,
        () => s.gettimeout() === r.t && s.getblocking() && !socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        's.setblocking(true)',
        () => s.setblocking(true),
        'same as settimeout(null): the timeout is gone',
        () => s.gettimeout() === null && socket.get_blocking(s.fileno()),
        s,
      );
    },
  },
  {
    name: 'refused',
    title: 'Connect to a port that is bound but not listening: refused at once (what the article saw on Linux)',
    run(r) {
      using server = socket.socket();
      server.bind(['127.0.0.1', 0]);
      const address = server.getsockname() as [string, number];
      using s = socket.socket();
      s.settimeout(r.t);
      r.step(
        `s.settimeout(${r.t}); s.connect(${pyRepr(address)})`,
        () => s.connect(address),
        'ConnectionRefusedError [Errno 111] without waiting for the timeout',
        (o) => raises('ConnectionRefusedError', 111)(o) && o.elapsed < r.t / 2,
        s,
      );
    },
  },
  {
    name: 'connect-timeout',
    title: 'settimeout(t), then connect to a listener that never accepts and whose backlog is full',
    run(r) {
      const l = fullListener();
      try {
        using s = socket.socket();
        s.settimeout(r.t);
        r.step(
          `s.settimeout(${r.t}); s.connect(${pyRepr(l.address)})`,
          () => s.connect(l.address),
          `TimeoutError: timed out, after ${r.t} s`,
          timedOutAfter(r.t),
          s,
        );
      } finally {
        l.close();
      }
    },
  },
  {
    name: 'default-timeout',
    title: 'setdefaulttimeout(t): a socket created afterwards times out the same way',
    run(r) {
      const l = fullListener();
      const before = socket.getdefaulttimeout();
      try {
        socket.setdefaulttimeout(r.t);
        using s = socket.socket();
        r.step(
          `setdefaulttimeout(${r.t}); s = socket()`,
          () => s.gettimeout(),
          `the new socket starts in timeout mode ${r.t}`,
          (o) => o.value === r.t,
          s,
        );
        r.step(
          `s.connect(${pyRepr(l.address)})`,
          () => s.connect(l.address),
          `TimeoutError: timed out, after ${r.t} s`,
          timedOutAfter(r.t),
          s,
        );
      } finally {
        socket.setdefaulttimeout(before);
        l.close();
      }
    },
  },
  {
    name: 'connect-blocking',
    title: 'The same connect with no timeout: it blocks (in a child process, under a watchdog)',
    async run(r) {
      const l = fullListener();
      const watchdog = 2 * r.t;
      try {
        const index = fileURLToPath(new URL('./index.js', import.meta.url));
        const code = `import * as socket from ${JSON.stringify(index)};
const s = socket.socket();
process.stdout.write('connecting\\n');
try { s.connect(${JSON.stringify(l.address)}); console.log('connected'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
        const t0 = performance.now();
        const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        let started = 0;
        // The watchdog counts from the moment the child is inside connect().
        await new Promise<void>((resolve) => {
          const poll = setInterval(() => {
            if (!started && out.includes('connecting')) started = performance.now();
            if (started && performance.now() - started >= watchdog * 1000) child.kill('SIGKILL');
          }, 10);
          child.on('exit', () => {
            clearInterval(poll);
            resolve();
          });
        });
        const blockedFor = (performance.now() - (started || t0)) / 1000;
        const stillBlocked = !out.includes('connected') && !/Error/.test(out);
        r.record(
          `child: s = socket(); s.connect(${pyRepr(l.address)})`,
          stillBlocked
            ? {
                ok: false,
                error: 'blocked',
                errno: null,
                message: `still in connect() after ${blockedFor.toFixed(3)} s; killed by the watchdog`,
                elapsed: blockedFor,
              }
            : { ok: true, value: out.trim(), elapsed: blockedFor },
          `still blocked when the ${watchdog} s watchdog fires (the kernel would retry SYNs for minutes)`,
          stillBlocked && blockedFor >= watchdog,
        );
      } finally {
        l.close();
      }
    },
  },
  {
    name: 'accept-timeout',
    title: 'accept() with a timeout and no client; the mode of an accepted socket',
    run(r) {
      const before = socket.getdefaulttimeout();
      using l = socket.socket();
      l.bind(['127.0.0.1', 0]);
      l.listen();
      const address = l.getsockname() as [string, number];
      l.settimeout(r.t);
      r.step(
        `l.settimeout(${r.t}); l.accept()`,
        () => l.accept(),
        `TimeoutError: timed out, after ${r.t} s`,
        timedOutAfter(r.t),
        l,
      );
      for (const dflt of [null, r.t]) {
        socket.setdefaulttimeout(dflt);
        try {
          using c = socket.create_connection(address, r.t);
          let conn: socket.Socket | undefined;
          r.step(
            `setdefaulttimeout(${fmt(dflt)}); conn, addr = l.accept()`,
            () => {
              conn = l.accept()[0];
              return modeOf(conn);
            },
            dflt === null
              ? "the accepted socket is blocking (the listener's timeout is not inherited)"
              : `the accepted socket takes the default timeout ${dflt}`,
            (o) => o.ok && conn!.gettimeout() === dflt && socket.get_blocking(conn!.fileno()) === (dflt === null),
            conn,
          );
          conn?.close();
          c.close();
        } finally {
          socket.setdefaulttimeout(before);
        }
      }
    },
  },
  {
    name: 'recv-timeout',
    title: 'recv with a timeout from a peer that says nothing',
    run(r) {
      const [a, b] = socket.socketpair();
      using _a = a;
      using _b = b;
      a.settimeout(r.t);
      r.step(
        `a.settimeout(${r.t}); a.recv(1024)`,
        () => a.recv(1024),
        `TimeoutError: timed out, after ${r.t} s`,
        timedOutAfter(r.t),
        a,
      );
    },
  },
  {
    name: 'nonblocking-recv',
    title: 'Non-blocking recv with nothing to read; then readiness and a read',
    async run(r) {
      const { select } = await import('./select.js');
      const [a, b] = socket.socketpair();
      using _a = a;
      using _b = b;
      a.setblocking(false);
      r.step(
        'a.setblocking(false); a.recv(1024)',
        () => a.recv(1024),
        'BlockingIOError [Errno 11] at once',
        (o) => raises('BlockingIOError', 11)(o) && o.elapsed < 0.5,
        a,
      );
      setTimeout(() => b.sendall(Buffer.from('hello')), Math.round(r.t * 500));
      await new Promise((resolve) => setTimeout(resolve, Math.round(r.t * 500) + 20));
      r.step(
        `select([a], [], [], ${r.t})`,
        () => select([a], [], [], r.t)[0].length,
        'a is readable',
        (o) => o.ok && o.value === 1,
        a,
      );
      r.step(
        'a.recv(1024)',
        () => a.recv(1024).toString(),
        "b'hello'",
        (o) => o.ok && o.value === 'hello',
        a,
      );
    },
  },
  {
    name: 'shared',
    title: 'Modes are shared through the open file description (the fileno note)',
    async run(r) {
      const [s, peer] = socket.socketpair();
      using _s = s;
      using _p = peer;
      s.settimeout(null);
      const d = s.dup();
      r.step(
        'd = s.dup(); d.setblocking(false)',
        () => d.setblocking(false),
        'the shared fd is now non-blocking',
        () => !socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        's.recv(1024)',
        () => s.recv(1024),
        's still says blocking, yet recv raises BlockingIOError [Errno 11] at once',
        (o) => raises('BlockingIOError', 11)(o) && s.getblocking(),
        s,
      );
      d.close();
      r.step(
        'd.close(); s.settimeout(null)',
        () => s.settimeout(null),
        'the setter writes the flag again: blocking',
        () => socket.get_blocking(s.fileno()),
        s,
      );
      let n: net.Socket | undefined;
      r.step(
        'n = net.Socket({ fd: s.dup().detach() })',
        () => {
          n = new net.Socket({ fd: s.dup().detach(), readable: false, writable: false });
        },
        'libuv set O_NONBLOCK on the shared description',
        () => !socket.get_blocking(s.fileno()),
        s,
      );
      r.step(
        's.recv(1024)',
        () => s.recv(1024),
        'BlockingIOError [Errno 11], while s.getblocking() is still true',
        (o) => raises('BlockingIOError', 11)(o) && s.getblocking(),
        s,
      );
      if (n) await new Promise<void>((resolve) => n!.destroy().once('close', () => resolve()));
    },
  },
];

scenarios.push({
  name: 'select',
  title: 'Waiting on several sockets at once: select() and DefaultSelector show which became ready',
  async run(r) {
    const { select } = await import('./select.js');
    const { DefaultSelector, EVENT_READ } = await import('./selectors.js');
    const pairs = [socket.socketpair(), socket.socketpair(), socket.socketpair()];
    const [a, b, c] = pairs.map(([mine]) => mine);
    const names = new Map([
      [a, 'a'],
      [b, 'b'],
      [c, 'c'],
    ]);
    const later = Math.round(r.t * 300);
    try {
      let peer = await sendLater([pairs[1][1].fileno()], later, 'to b');
      r.step(
        `select([a, b, c], [], [], ${r.t}) while a thread writes to b after ${later} ms`,
        () => select([a, b, c], [], [], r.t)[0].map((s) => names.get(s)),
        'only b is readable, after the write and before the timeout',
        (o) => o.ok && JSON.stringify(o.value) === '["b"]' && o.elapsed > later / 2000 && o.elapsed < r.t,
      );
      await peer.done;
      b.recv(100);
      using sel = new DefaultSelector<string>();
      for (const [s, name] of names) sel.register(s, EVENT_READ, name);
      peer = await sendLater([pairs[0][1].fileno(), pairs[2][1].fileno()], later, 'to a and c');
      r.step(
        `${DefaultSelector.name}: sel.select(${r.t}), again until nothing new, while a thread writes to a and c`,
        () => {
          // The two writes are two syscalls: the first select may see only one.
          const seen = new Set<string>();
          const end = performance.now() + r.t * 1000;
          while (seen.size < 2 && performance.now() < end) {
            for (const [key, events] of sel.select(r.t)) if (events & EVENT_READ) seen.add(key.data);
          }
          return [...seen].sort();
        },
        'the keys of a and c, each with EVENT_READ; never b',
        (o) => o.ok && JSON.stringify(o.value) === '["a","c"]',
      );
      await peer.done;
    } finally {
      for (const [x, y] of pairs) {
        x.close();
        y.close();
      }
    }
  },
});

scenarios.push({
  name: 'loop',
  title: 'loop.sock_recv waits on the event loop: timers keep running, then it resolves',
  async run(r) {
    const [a, b] = socket.socketpair();
    using _a = a;
    using _b = b;
    a.setblocking(false);
    const later = Math.round(r.t * 500);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    setTimeout(() => b.sendall(Buffer.from('hello')), later);
    const t0 = performance.now();
    let o: Outcome;
    try {
      const data = await socket.loop.sock_recv(a, 1024);
      o = { ok: true, value: { data: data.toString(), timer_ticks: ticks }, elapsed: 0 };
    } catch (e) {
      o = { ok: false, error: (e as Error).name, message: (e as Error).message, elapsed: 0 };
    } finally {
      clearInterval(timer);
    }
    o.elapsed = (performance.now() - t0) / 1000;
    const v = o.value as { data: string; timer_ticks: number } | undefined;
    r.record(
      `await loop.sock_recv(a, 1024) while a 10 ms timer runs; b sends after ${later} ms`,
      o,
      "b'hello' after the send, with the timer firing all along (the thread was never blocked)",
      o.ok && v!.data === 'hello' && v!.timer_ticks >= later / 20 && o.elapsed >= later / 1000 - 0.005,
      a,
    );
  },
});

/**
 * Runs the named scenarios (all when `names` is empty) with waits of `t`
 * seconds. Unknown names throw a RangeError listing the known ones.
 */
export async function runDemo(names: string[], t: number): Promise<ScenarioResult[]> {
  const chosen = names.length ? names.map((n) => scenarios.find((s) => s.name === n) ?? unknown(n)) : scenarios;
  const results: ScenarioResult[] = [];
  for (const sc of chosen) {
    const r = new Recorder(t);
    try {
      await sc.run(r);
    } catch (e) {
      r.record(
        '(scenario setup)',
        { ok: false, error: (e as Error).name, message: (e as Error).message, elapsed: 0 },
        'no error',
        false,
      );
    }
    results.push({
      name: sc.name,
      title: sc.title,
      steps: r.steps,
      pass: r.steps.length > 0 && r.steps.every((s) => s.pass),
    });
  }
  return results;
}

function unknown(name: string): never {
  throw new RangeError(`unknown scenario '${name}'; known: ${scenarios.map((s) => s.name).join(', ')}`);
}

/** The results as a readable table. */
export function formatDemo(results: ScenarioResult[], t: number): string {
  const lines = [`sockmode demo: Python's socket timeout scenarios, on loopback (t = ${t} s)`, ''];
  const mode = (m: StepResult['mode']) =>
    m ? `${fmt(m.gettimeout)} / ${m.getblocking} / ${m.O_NONBLOCK ? 'set' : 'clear'}` : '';
  results.forEach((res, i) => {
    lines.push(`${i + 1}. ${res.name}: ${res.title}`);
    const rows = res.steps.map((s) => [
      s.pass ? 'ok  ' : 'FAIL',
      s.action,
      s.ok
        ? s.value === undefined
          ? 'ok'
          : `-> ${typeof s.value === 'object' ? JSON.stringify(s.value) : String(s.value)}`
        : `${s.error}: ${s.message}`,
      `${s.elapsed.toFixed(3)} s`,
      mode(s.mode),
    ]);
    const head = ['', 'step', 'outcome', 'elapsed', 'gettimeout / getblocking / O_NONBLOCK'];
    const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
    const line = (row: string[]) =>
      '   ' +
      row
        .map((c, k) => c.padEnd(widths[k]))
        .join('  ')
        .trimEnd();
    lines.push(line(head));
    for (const [k, row] of rows.entries()) {
      lines.push(line(row));
      if (!res.steps[k].pass) lines.push(`        expected: ${res.steps[k].expected}`);
    }
    lines.push('');
  });
  const failed = results.filter((r) => !r.pass).length;
  const n = results.length;
  lines.push(
    failed
      ? `${failed} of ${n} scenarios did not behave as expected`
      : n === 1
        ? 'the scenario behaved as expected'
        : `all ${n} scenarios behaved as expected`,
  );
  return lines.join('\n');
}
