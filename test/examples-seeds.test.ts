// The examples of the seed scenarios (Python's "Notes on socket timeouts", the
// articles on socket timeouts and on accept timeouts): each is run through the
// one command its header names (`npx tsx examples/<file>.ts [args]`), in a
// child process group under a watchdog, and the facts it prints are checked:
// against the contract (SEMANTICS.md) and, where it is cheap, against what
// CPython does in the same steps. Timings are bounded from below (a timeout
// never fires early) and from above with a generous margin.
//
// The examples run in child processes only, so this file may use
// test/helpers.ts (which loads lib/) without a second copy of the JS layer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNoFdLeaks, python, refusedAddress, root, type Observation } from './helpers.js';
import { exampleStderr, headerCommand, run, start, type Run } from './fixtures/examples.js';

checkNoFdLeaks();

/** Each test's limit: above the 60 s watchdog of the commands it runs, so the watchdog fires first. */
const TEST_MS = 90_000;

/** Generous upper margin for a wait of t seconds on a shared 2-CPU machine. */
const late = (t: number) => t + 2;

/** Runs the header command of examples/<file> and checks it succeeded quietly. */
async function runExample(file: string): Promise<Run> {
  const command = headerCommand(file);
  expect(command).toBe(`npx tsx examples/${file}`);
  const r = await run(command, 60_000);
  expect(r.killed, 'killed by the watchdog').toBe(false);
  expect(exampleStderr(r.stderr), r.stdout).toBe('');
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return r;
}

/** The groups of the one line of `out` matching `re` (anchored to a whole line). */
function grab(out: string, re: RegExp): string[] {
  const hits = out.split('\n').flatMap((l) => {
    const m = re.exec(l);
    return m ? [m.slice(1)] : [];
  });
  expect(hits, `one line matching ${re} in:\n${out}`).toHaveLength(1);
  return hits[0];
}

/** Seconds printed as `after 0.501 s`: no earlier than the timeout t, and not absurdly late. */
function expectWaited(seconds: string, t: number): void {
  expect(Number(seconds)).toBeGreaterThanOrEqual(t);
  expect(Number(seconds)).toBeLessThan(late(t));
}

/** A CPython observation in the notation the examples print. */
function pyOutcome(o: Observation): string {
  if (o.ok) return Array.isArray(o.value) ? `b'${Buffer.from(o.value as number[]).toString('latin1')}'` : 'ok';
  return o.error === 'TimeoutError' ? `TimeoutError('${o.message}')` : `${o.error} ${o.message}`;
}

/** A mode triple from CPython, spelled as the examples print it. */
type PyMode = [number | null, boolean, 'set' | 'clear'];
const spell = (m: PyMode) => m.map(String);

describe('every example', { timeout: TEST_MS }, () => {
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));

  it('names one command in its header, `npx tsx examples/<file>.ts [args]`, and imports the package as users do', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'timeout-connect-recv.ts',
        'accept-timeout-server.ts',
        'accept-timeout-client.ts',
        'setdefaulttimeout.ts',
        'three-modes.ts',
        'fileno-sharing.ts',
        'udp-echo.ts',
        'pass-fd.ts',
        'selector-echo.ts',
        'async-echo.ts',
      ]),
    );
    for (const f of files) {
      expect(headerCommand(f)).toMatch(new RegExp(`^npx tsx examples/${f.replace('.', '\\.')}( |$)`));
      const text = readFileSync(join(root, 'examples', f), 'utf8');
      expect(text, f).toMatch(/^import \* as socket from 'sockmode';$/m);
      expect(text, f).not.toMatch(/from '\.\.\/(lib|dist)\//);
    }
  });
});

describe('examples/timeout-connect-recv.ts', { timeout: TEST_MS }, () => {
  it('connect to a listener that never answers and recv from a silent peer raise TimeoutError after 0.5 s, as in CPython', async () => {
    const running = runExample('timeout-connect-recv.ts');
    const py = python(`
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(0)
addr = l.getsockname()
filler = socket.create_connection(addr, 0.5)
s = socket.socket(); s.settimeout(0.5)
connect = observe(lambda: s.connect(addr))
b = socket.socket(); b.bind(('127.0.0.1', 0))
s2 = socket.socket(); s2.settimeout(0.5)
refused = observe(lambda: s2.connect(b.getsockname()))
srv = socket.create_server(('127.0.0.1', 0)); srv.settimeout(0.5)
cl = socket.create_connection(srv.getsockname(), 0.5)
conn, _ = srv.accept()
silent = observe(lambda: cl.recv(1024))
conn.sendall(b'hello')
data = observe(lambda: cl.recv(1024))
for x in (l, filler, s, b, s2, srv, cl, conn): x.close()
return [connect, refused, silent, data]`) as Observation[];
    const out = (await running).stdout;
    const [listenerPort] = grab(out, /^listener on 127\.0\.0\.1:(\d+): listen\(0\), never accepts$/);
    grab(out, /^s\.settimeout\(0\.5\): s\.gettimeout\(\) = (0\.5)$/);
    const [port, connect, connectSeconds] = grab(
      out,
      /^s\.connect\(\('127\.0\.0\.1', (\d+)\)\): (.*) after ([\d.]+) s$/,
    );
    expect(port).toBe(listenerPort);
    expect(connect).toBe("TimeoutError('timed out')");
    expectWaited(connectSeconds, 0.5);
    const [refused, refusedSeconds] = grab(
      out,
      /^port \d+ bound, not listening: s\.connect\(.*\): (.*) after ([\d.]+) s$/,
    );
    expect(refused).toBe('ConnectionRefusedError [Errno 111] Connection refused');
    expect(Number(refusedSeconds)).toBeLessThan(0.5); // refused without waiting for the timeout
    grab(out, /^connected: client\.gettimeout\(\) = (0\.5)$/);
    const [silent, silentSeconds] = grab(out, /^silent peer: client\.recv\(1024\): (.*) after ([\d.]+) s$/);
    expect(silent).toBe("TimeoutError('timed out')");
    expectWaited(silentSeconds, 0.5);
    const [data, dataSeconds] = grab(
      out,
      /^after conn\.sendall\(b'hello'\): client\.recv\(1024\): (.*) after ([\d.]+) s$/,
    );
    expect(data).toBe("b'hello'");
    expect(Number(dataSeconds)).toBeLessThan(0.5);
    // CPython, the same steps: the same outcomes
    expect(py.map(pyOutcome)).toEqual([connect, refused, silent, data]);
    expect(py[0].elapsed).toBeGreaterThanOrEqual(0.5);
  });
});

describe('examples/accept-timeout-server.ts and accept-timeout-client.ts', { timeout: TEST_MS }, () => {
  it("the server's accept() times out every second until a client comes; it serves two clients and stops", async () => {
    const server = start(headerCommand('accept-timeout-server.ts'), 60_000);
    expect(headerCommand('accept-timeout-server.ts')).toBe('npx tsx examples/accept-timeout-server.ts');
    const clientCommand = headerCommand('accept-timeout-client.ts');
    expect(clientCommand).toBe('npx tsx examples/accept-timeout-client.ts <port>');
    try {
      const port = (await server.line(/^listening on 127\.0\.0\.1:(\d+)$/))[1];
      // Wait for a first timeout, so the output shows both: a timeout, then clients.
      const first = await server.line(
        /^no connection within 1 s \(accept\(\) raised TimeoutError\('timed out'\) after ([\d.]+) s\)$/,
      );
      expectWaited(first[1], 1);

      const clients: { port: string; message: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const c = await run(clientCommand.replace('<port>', port), 60_000);
        expect(c.killed).toBe(false);
        expect(exampleStderr(c.stderr)).toBe('');
        expect(c.status, c.stdout).toBe(0);
        grab(c.stdout, new RegExp(`^s\\.settimeout\\(3\\); s\\.connect\\(\\('127\\.0\\.0\\.1', ${port}\\)\\)$`));
        const [clientPort] = grab(c.stdout, /^connected from 127\.0\.0\.1:(\d+)$/);
        const [message] = grab(c.stdout, /^sent "(hello from client \d+)"$/);
        expect(grab(c.stdout, /^got "(.*)"$/)[0]).toBe(`echo: ${message}`);
        clients.push({ port: clientPort, message });
      }
      expect(clients[0].message).not.toBe(clients[1].message);

      const r = await server.done;
      expect(r.killed).toBe(false);
      expect(exampleStderr(r.stderr)).toBe('');
      expect(r.status, r.stdout).toBe(0);
      const out = r.stdout;
      grab(out, /^server\.settimeout\(1\): server\.gettimeout\(\) = (1)$/);
      grab(out, /^stops after (2) clients or 30 timeouts$/);
      for (const c of clients) {
        // the accepted socket is blocking: the listener's timeout is not inherited
        grab(out, new RegExp(`^accepted 127\\.0\\.0\\.1:${c.port}: conn\\.gettimeout\\(\\) = (null) \\(blocking`));
        grab(out, new RegExp(`^got "(${c.message})" from 127\\.0\\.0\\.1:${c.port}, answered "echo: ${c.message}"$`));
      }
      const timeouts = out.split('\n').filter((l) => l.startsWith('no connection within 1 s'));
      expect(timeouts.length).toBeGreaterThanOrEqual(1);
      for (const l of timeouts) expectWaited(/after ([\d.]+) s\)$/.exec(l)![1], 1);
      const [served, counted] = grab(out, /^done: (\d+) clients served, (\d+) accept\(\) timeouts$/);
      expect([Number(served), Number(counted)]).toEqual([2, timeouts.length]);
      // the order: a timeout before the first client
      expect(out.indexOf('no connection within')).toBeLessThan(out.indexOf('accepted '));
    } finally {
      server.kill();
      await server.done;
    }
  });

  it('the client with nobody listening on the port: ConnectionRefusedError at once, exit status 1', async () => {
    const refused = refusedAddress(); // bound, not listening
    try {
      const r = await run(headerCommand('accept-timeout-client.ts').replace('<port>', String(refused.address[1])));
      expect(r.killed).toBe(false);
      expect(r.status).toBe(1);
      grab(r.stdout, /^(ConnectionRefusedError \[Errno 111\] Connection refused): is the server running\?$/);
    } finally {
      refused.close();
    }
  });
});

describe('examples/setdefaulttimeout.ts', { timeout: TEST_MS }, () => {
  it('new and accepted sockets take the default timeout as SEMANTICS §2 and CPython say; recv times out through it', async () => {
    const running = runExample('setdefaulttimeout.ts');
    const py = python(`
def mode(s):
    return [s.gettimeout(), s.getblocking(), 'clear' if os.get_blocking(s.fileno()) else 'set']
out = []
t = socket.socket(); out.append(mode(t)); t.close()
socket.setdefaulttimeout(0.5)
s = socket.socket(); out.append(mode(s))
a, b = socket.socketpair(); out.append(mode(a))
l = socket.create_server(('127.0.0.1', 0)); out.append(mode(l))
addr = l.getsockname()
c = socket.create_connection(addr); out.append(mode(c))
l.settimeout(2)
conn, _ = l.accept(); out.append(mode(conn)); conn.close(); c.close()
recv = observe(lambda: a.recv(1024))
socket.setdefaulttimeout(None)
t = socket.socket(); out.append(mode(t)); t.close()
out.append(mode(s))
c = socket.create_connection(addr, 0.5)
conn, _ = l.accept(); out.append(mode(conn)); conn.close(); c.close()
c = socket.create_connection(addr, 0.5)
l.setblocking(False)
conn, _ = l.accept(); out.append(mode(conn)); conn.close(); c.close()
socket.setdefaulttimeout(0)
t = socket.socket(); out.append(mode(t)); t.close()
socket.setdefaulttimeout(None)
for x in (s, a, b, l): x.close()
return {'modes': out, 'recv': recv}`) as { modes: PyMode[]; recv: Observation };
    const out = (await running).stdout;
    const rows = out.split('\n').flatMap((l) => {
      const m = /^(.*?):? gettimeout\(\) = (\S+), getblocking\(\) = (\S+), O_NONBLOCK (set|clear)$/.exec(l);
      return m ? [[m[1].replace(/\b\d{4,5}\b/g, 'PORT'), m[2], m[3], m[4]]] : [];
    });
    const expected: [string, string, string, string][] = [
      ['socket()', 'null', 'true', 'clear'],
      ['socket()', '0.5', 'true', 'set'],
      ['a, b = socketpair(): a', '0.5', 'true', 'set'],
      ["listener = create_server(('127.0.0.1', 0))", '0.5', 'true', 'set'],
      ["create_connection(('127.0.0.1', PORT))", '0.5', 'true', 'set'],
      ['listener.settimeout(2); conn = listener.accept(): conn', '0.5', 'true', 'set'], // the default, not 2
      ['socket()', 'null', 'true', 'clear'],
      ['the socket made before keeps its timeout: s', '0.5', 'true', 'set'],
      ['listener in timeout mode (2): conn = listener.accept(): conn', 'null', 'true', 'clear'],
      ['listener.setblocking(false); conn = listener.accept(): conn', 'null', 'true', 'clear'],
      ['setdefaulttimeout(0); socket()', '0', 'false', 'set'],
    ];
    expect(rows).toEqual(expected);
    expect(py.modes.map(spell)).toEqual(expected.map((r) => r.slice(1))); // CPython agrees, row by row
    grab(out, /^getdefaulttimeout\(\) = (null)$/);
    grab(out, /^setdefaulttimeout\(0\.5\); getdefaulttimeout\(\) = (0\.5)$/);
    grab(out, /^setdefaulttimeout\(null\); getdefaulttimeout\(\) = (null)$/);
    const [recv, seconds] = grab(out, /^a\.recv\(1024\) with nothing sent: (.*) after ([\d.]+) s$/);
    expect(recv).toBe("TimeoutError('timed out')");
    expect(pyOutcome(py.recv)).toBe(recv);
    expectWaited(seconds, 0.5);
  });
});

describe('examples/three-modes.ts', { timeout: TEST_MS }, () => {
  it('prints the mode table CPython shows, and recv in each mode: data, BlockingIOError [Errno 11] at once, TimeoutError after 0.5 s', async () => {
    const running = runExample('three-modes.ts');
    const py = python(`
a, b = socket.socketpair()
def row():
    return [a.gettimeout(), a.getblocking(), 'clear' if os.get_blocking(a.fileno()) else 'set']
rows = [row()]
for name, v in [('settimeout', None), ('setblocking', True), ('setblocking', False), ('settimeout', 0), ('settimeout', 0.5)]:
    getattr(a, name)(v)
    rows.append(row())
a.setblocking(True)
b.sendall(b'ping')
recvs = [observe(lambda: a.recv(1024))]
a.setblocking(False)
recvs.append(observe(lambda: a.recv(1024)))
a.settimeout(0.5)
recvs.append(observe(lambda: a.recv(1024)))
a.close(); b.close()
return {'rows': rows, 'recvs': recvs}`) as { rows: PyMode[]; recvs: Observation[] };
    const out = (await running).stdout;
    const table = out.slice(out.indexOf('the mode table:'), out.indexOf('\n\n'));
    const rows = table
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/));
    const expected = [
      ['socketpair()', 'null', 'true', 'clear'],
      ['settimeout(null)', 'null', 'true', 'clear'],
      ['setblocking(true)', 'null', 'true', 'clear'],
      ['setblocking(false)', '0', 'false', 'set'],
      ['settimeout(0)', '0', 'false', 'set'],
      ['settimeout(0.5)', '0.5', 'true', 'set'],
    ];
    expect(table.split('\n')[1].split(/\s+/)).toEqual(['call', 'gettimeout()', 'getblocking()', 'O_NONBLOCK']);
    expect(rows).toEqual(expected);
    expect(py.rows.map(spell)).toEqual(expected.map((r) => r.slice(1))); // CPython's table is the same

    const [blocking, blockingSeconds] = grab(out, /^blocking: +a\.recv\(1024\) -> (.*) after ([\d.]+) s$/);
    expect(blocking).toBe("b'ping'");
    expect(Number(blockingSeconds)).toBeLessThan(0.5);
    const [nonblocking, nonblockingSeconds] = grab(out, /^non-blocking: +a\.recv\(1024\) -> (.*) after ([\d.]+) s$/);
    expect(nonblocking).toBe('BlockingIOError [Errno 11] Resource temporarily unavailable (errno 11, EAGAIN)');
    expect(Number(nonblockingSeconds)).toBeLessThan(0.5); // at once, never the timeout
    const [timeout, timeoutSeconds] = grab(out, /^timeout: +a\.recv\(1024\) -> (.*) after ([\d.]+) s$/);
    expect(timeout).toBe("TimeoutError('timed out')");
    expectWaited(timeoutSeconds, 0.5);
    expect(py.recvs.map(pyOutcome)).toEqual([blocking, nonblocking.replace(/ \(errno.*\)$/, ''), timeout]);
    expect(py.recvs[1].errno).toBe(11);
  });
});

describe('examples/fileno-sharing.ts', { timeout: TEST_MS }, () => {
  it('O_NONBLOCK is shared by dup/fromfd objects and other holders, the timeout is per object; recv shows it, as in CPython', async () => {
    const running = runExample('fileno-sharing.ts');
    // CPython, the same steps; os.set_blocking on a dup stands for the other holder (net.Socket).
    const py = python(`
a, peer = socket.socketpair()
d = a.dup()
f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
def table():
    return [[s.gettimeout(), s.getblocking(), 'clear' if os.get_blocking(s.fileno()) else 'set'] for s in (a, d, f)]
tables = [table()]
recvs = []
d.setblocking(False); tables.append(table())
recvs.append(observe(lambda: a.recv(1024)))
a.settimeout(0.5); tables.append(table())
f.setblocking(True); tables.append(table())
recvs.append(observe(lambda: a.recv(1024)))
a.setblocking(True); tables.append(table())
n = os.dup(a.fileno()); os.set_blocking(n, False); tables.append(table())
recvs.append(observe(lambda: a.recv(1024)))
os.close(n)
for x in (a, peer, d, f): x.close()
return {'tables': tables, 'recvs': recvs}`) as { tables: PyMode[][]; recvs: Observation[] };
    const out = (await running).stdout;
    const [fa, fd, ff] = grab(
      out,
      /^a is fd (\d+), d is fd (\d+), f is fd (\d+): three fds, one open file description$/,
    );
    expect(new Set([fa, fd, ff]).size).toBe(3);

    // Each step's table: after <step>: / header / a, d, f rows.
    const steps = new Map<string, string[][]>();
    const lines = out.split('\n');
    lines.forEach((l, i) => {
      const m = /^after (.*):$/.exec(l);
      if (!m) return;
      expect(lines[i + 1].trim().split(/\s+/)).toEqual(['object', 'gettimeout()', 'getblocking()', 'O_NONBLOCK']);
      steps.set(
        m[1],
        lines.slice(i + 2, i + 5).map((row, k) => {
          const cells = row.trim().split(/\s+/);
          expect(cells.slice(0, 3)).toEqual([['a', 'd', 'f'][k], '(fd', `${[fa, fd, ff][k]})`]);
          return cells.slice(3);
        }),
      );
    });
    const expected: [string, string[][]][] = [
      [
        'a, peer = socketpair(); d = a.dup(); f = fromfd(a.fileno())',
        [
          ['null', 'true', 'clear'],
          ['null', 'true', 'clear'],
          ['null', 'true', 'clear'],
        ],
      ],
      // d's setter sets the flag for all three; a and f still say blocking
      [
        'd.setblocking(false)',
        [
          ['null', 'true', 'set'],
          ['0', 'false', 'set'],
          ['null', 'true', 'set'],
        ],
      ],
      // the timeout is per object
      [
        'a.settimeout(0.5)',
        [
          ['0.5', 'true', 'set'],
          ['0', 'false', 'set'],
          ['null', 'true', 'set'],
        ],
      ],
      [
        'f.setblocking(true)',
        [
          ['0.5', 'true', 'clear'],
          ['0', 'false', 'clear'],
          ['null', 'true', 'clear'],
        ],
      ],
      [
        'a.setblocking(true)',
        [
          ['null', 'true', 'clear'],
          ['0', 'false', 'clear'],
          ['null', 'true', 'clear'],
        ],
      ],
      // another holder of the description (libuv) sets O_NONBLOCK under all three
      [
        'n = new net.Socket({ fd: a.dup().detach() })',
        [
          ['null', 'true', 'set'],
          ['0', 'false', 'set'],
          ['null', 'true', 'set'],
        ],
      ],
    ];
    expect([...steps]).toEqual(expected);
    expect(py.tables.map((t) => t.map(spell))).toEqual(expected.map(([, t]) => t)); // CPython agrees

    const recvs = lines.flatMap((l) => {
      const m = /^a\.recv\(1024\) while a\.gettimeout\(\) = (\S+): (.*) after ([\d.]+) s$/.exec(l);
      return m ? [m.slice(1)] : [];
    });
    expect(recvs.map(([t, o]) => [t, o])).toEqual([
      ['null', 'BlockingIOError [Errno 11] Resource temporarily unavailable'], // blocking object, shared flag set
      ['0.5', "TimeoutError('timed out')"], // timeout object, flag clear: still times out
      ['null', 'BlockingIOError [Errno 11] Resource temporarily unavailable'], // net.Socket set the flag
    ]);
    expect(Number(recvs[0][2])).toBeLessThan(0.5); // at once
    expectWaited(recvs[1][2], 0.5);
    expect(Number(recvs[2][2])).toBeLessThan(0.5);
    expect(py.recvs.map(pyOutcome)).toEqual(recvs.map(([, o]) => o));
    grab(out, /^(n\.destroy\(\): closed its fd)$/);
  });
});
