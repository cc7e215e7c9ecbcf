// Real peers no one here wrote, on loopback, with timeouts:
// - sockmode clients against Python's http.server (a file fetched byte for
//   byte), against a server that accepts and never answers (TimeoutError),
//   and against Debian's redis-server (RESP written by hand; then the server
//   is killed and the next call fails with the OS's connection error);
// - curl against sockmode HTTP servers (loop.sock_* in this process, and
//   timeout mode in a child process).
// redis-server and curl are required (.ci/run installs them): a missing one
// fails its test. Every child is started by the test and killed at its end
// (also on failure); every in-process blocking call has a socket timeout, and
// every loop is bounded in count and time. Loopback only (127.0.0.1).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { checkNoFdLeaks, observe, root, trackSockets } from './helpers.js';

const { loop } = socket;

checkNoFdLeaks();
const track = trackSockets();

// ---------------------------------------------------------------- fixtures

/** Children of the current test: all killed (SIGKILL, by pid) and awaited after it, also on failure. */
const children: Proc[] = [];
afterEach(async () => {
  const all = children.splice(0);
  for (const p of all) p.kill();
  await bounded(Promise.all(all.map((p) => p.closed)), 10_000, 'the children to close');
});

/** Temporary directories of the current test, removed after it. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sockmode-peers-'));
  dirs.push(d);
  return d;
}

/** A child process with its output collected. */
class Proc {
  readonly child: ChildProcess;
  stdout = Buffer.alloc(0);
  stderr = '';
  /** Settles when the process ended and its pipes are closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout = Buffer.concat([this.stdout, d]);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.closed = new Promise((resolve) => {
      this.child.on('error', (e) => (this.stderr += String(e)));
      this.child.on('close', (code, signal) => {
        for (const w of this.#waiters.splice(0)) w();
        resolve({ code, signal });
      });
    });
    children.push(this);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** Waits (bounded) until stdout matches re; returns the match. */
  async waitFor(re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const end = performance.now() + ms;
    for (;;) {
      const m = this.stdout.toString('utf8').match(re);
      if (m) return m;
      if (!this.running) throw new Error(`the child ended before printing ${re}: ${this.stderr}`);
      const left = end - performance.now();
      if (left <= 0)
        throw new Error(`no ${re} within ${ms} ms; stdout: ${this.stdout.toString()}; stderr: ${this.stderr}`);
      await bounded(new Promise<void>((r) => this.#waiters.push(r)), left, 'output').catch(() => undefined);
    }
  }
}

/** Runs cmd to its end under a watchdog (SIGKILL after ms); its stdout as a Buffer. */
async function run(
  cmd: string,
  args: string[],
  ms = 20_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  const p = new Proc(cmd, args);
  const watchdog = setTimeout(() => p.kill(), ms);
  try {
    const { code, signal } = await p.closed;
    return { code, signal, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(watchdog);
  }
}

/** p, or a rejection after ms. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The binary's path on PATH; the test fails (never skips) when it is missing. */
function requireBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), fsConstants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  expect.fail(`${name} is not installed (on PATH): .ci/run installs it (apt-get install redis-server curl)`);
}

/** A port nothing listens on right now (bound to 0, read, closed). */
function freePort(): number {
  using s = socket.socket();
  s.bind(['127.0.0.1', 0]);
  return (s.getsockname() as [string, number])[1];
}

/** Reads until EOF in timeout mode, at most maxBytes (the loop is bounded by both). */
function recvAll(s: socket.Socket, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let n = 0;
  for (let i = 0; n <= maxBytes && i < maxBytes; i++) {
    const d = s.recv(65536);
    if (d.length === 0) return Buffer.concat(chunks);
    chunks.push(d);
    n += d.length;
  }
  throw new Error(`more than ${maxBytes} bytes and no EOF`);
}

/** Status line, headers (lower-case names) and body of an HTTP response. */
function parseResponse(raw: Buffer): { status: string; headers: Record<string, string>; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  expect(end, 'the response has a head').toBeGreaterThan(0);
  const [status, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status, headers, body: raw.subarray(end + 4) };
}

// ---------------------------------------------------------------- Python's http.server

/** Python's http.server over a fresh directory holding `file` (random bytes); its port. */
async function pythonHttpServer(name: string, size: number): Promise<{ port: number; data: Buffer }> {
  const dir = tempDir();
  const data = randomBytes(size);
  writeFileSync(join(dir, name), data);
  const p = new Proc('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir]);
  const m = await p.waitFor(/Serving HTTP on 127\.0\.0\.1 port (\d+)/);
  return { port: Number(m[1]), data };
}

describe("Python's http.server", () => {
  it('GET of a file it serves, timeout-mode client: the body byte for byte; a missing file is 404', async () => {
    const { port, data } = await pythonHttpServer('data.bin', 1_048_576 + 123);
    const get = (path: string) => {
      const s = track(socket.create_connection(['127.0.0.1', port], 5));
      expect(s.gettimeout()).toBe(5);
      s.sendall(Buffer.from(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
      const raw = recvAll(s, 4 * data.length); // HTTP/1.0: the server closes after the response
      s.close();
      return parseResponse(raw);
    };
    const ok = get('/data.bin');
    expect(ok.status).toMatch(/^HTTP\/1\.[01] 200 OK$/);
    expect(ok.headers['server']).toMatch(/^SimpleHTTP\/.* Python\//);
    expect(ok.headers['content-length']).toBe(String(data.length));
    expect(ok.body.length).toBe(data.length);
    expect(ok.body.equals(data)).toBe(true);
    const missing = get('/no-such-file');
    expect(missing.status).toMatch(/^HTTP\/1\.[01] 404 /);
  });

  it('GET of a file it serves, loop.sock_* client: the body byte for byte', async () => {
    const { port, data } = await pythonHttpServer('other.bin', 300_007);
    const signal = AbortSignal.timeout(10_000);
    const s = track(socket.socket());
    s.setblocking(false);
    await loop.sock_connect(s, ['127.0.0.1', port], { signal });
    await loop.sock_sendall(s, Buffer.from(`GET /other.bin HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`), { signal });
    const chunks: Buffer[] = [];
    for (let n = 0, i = 0; i < 10_000; i++) {
      const d = await loop.sock_recv(s, 65536, { signal });
      if (d.length === 0) break;
      chunks.push(d);
      n += d.length;
      expect(n).toBeLessThan(4 * data.length);
    }
    s.close();
    const r = parseResponse(Buffer.concat(chunks));
    expect(r.status).toMatch(/^HTTP\/1\.[01] 200 OK$/);
    expect(r.headers['content-length']).toBe(String(data.length));
    expect(r.body.equals(data)).toBe(true);
  });
});

// ---------------------------------------------------------------- a server that never answers

describe('a server that accepts and never answers (python3)', () => {
  async function stallServer(): Promise<number> {
    const p = new Proc('python3', [join(root, 'test', 'fixtures', 'stall_server.py'), '30']);
    return Number((await p.waitFor(/^(\d+)\n/))[1]);
  }

  it('timeout mode: connect and send succeed, recv raises TimeoutError after the timeout', async () => {
    const port = await stallServer();
    const s = track(socket.create_connection(['127.0.0.1', port], 1.0));
    s.sendall(Buffer.from(`GET / HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    const t0 = performance.now();
    let err: unknown;
    try {
      s.recv(1024);
    } catch (e) {
      err = e;
    }
    const elapsed = (performance.now() - t0) / 1000;
    expect(err).toBeInstanceOf(socket.TimeoutError);
    expect(err).toBeInstanceOf(socket.timeout);
    expect(err).toBeInstanceOf(socket.OSError);
    expect((err as socket.OSError).errno).toBeNull();
    expect((err as Error).message).toBe('timed out');
    expect(elapsed).toBeGreaterThanOrEqual(1.0);
    expect(elapsed).toBeLessThan(2.5);
    // The connection is still up: a second wait times out the same way.
    const again = observe(() => s.recv(1024));
    expect([again.ok, again.error, again.message]).toEqual([false, 'TimeoutError', 'timed out']);
    expect(again.elapsed).toBeGreaterThanOrEqual(1.0);
    expect(again.elapsed).toBeLessThan(2.5);
  });

  it('loop.sock_recv with AbortSignal.timeout: rejects with the signal reason after the timeout', async () => {
    const port = await stallServer();
    const s = track(socket.socket());
    s.setblocking(false);
    await loop.sock_connect(s, ['127.0.0.1', port], { signal: AbortSignal.timeout(5000) });
    await loop.sock_sendall(s, Buffer.from('hello?\r\n'), { signal: AbortSignal.timeout(5000) });
    const t0 = performance.now();
    const signal = AbortSignal.timeout(700);
    const err = await loop.sock_recv(s, 1024, { signal }).then(
      (d) => d,
      (e: unknown) => e,
    );
    const elapsed = (performance.now() - t0) / 1000;
    expect(err).toBe(signal.reason);
    expect((err as Error).name).toBe('TimeoutError');
    expect(elapsed).toBeGreaterThanOrEqual(0.69);
    expect(elapsed).toBeLessThan(3);
  });
});

// ---------------------------------------------------------------- redis-server

/** A RESP (REdis Serialization Protocol) client written by hand over a timeout-mode sockmode socket. */
class Resp {
  #buf = Buffer.alloc(0);
  constructor(readonly sock: socket.Socket) {}

  static encode(args: (string | Buffer)[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(a);
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    return Buffer.concat(parts);
  }

  send(...args: (string | Buffer)[]): void {
    this.sock.sendall(Resp.encode(args));
  }

  #fill(): void {
    const d = this.sock.recv(65536);
    if (d.length === 0) throw new ServerClosed('connection closed by server');
    this.#buf = Buffer.concat([this.#buf, d]);
  }

  #line(): string {
    let i: number;
    for (let n = 0; (i = this.#buf.indexOf('\r\n')) < 0; n++) {
      if (n > 1000) throw new Error('no line end');
      this.#fill();
    }
    const line = this.#buf.subarray(0, i).toString('latin1');
    this.#buf = this.#buf.subarray(i + 2);
    return line;
  }

  /** One reply: a simple string (as `+text`), an error (as `-text`), an integer, a Buffer, null or an array. */
  read(): unknown {
    const line = this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case '+':
      case '-':
        return line;
      case ':':
        return Number(rest);
      case '$': {
        const n = Number(rest);
        if (n < 0) return null;
        for (let k = 0; this.#buf.length < n + 2; k++) {
          if (k > 10_000) throw new Error('bulk string never completed');
          this.#fill();
        }
        const b = Buffer.from(this.#buf.subarray(0, n));
        expect(this.#buf.subarray(n, n + 2).toString()).toBe('\r\n');
        this.#buf = this.#buf.subarray(n + 2);
        return b;
      }
      case '*': {
        const n = Number(rest);
        return n < 0 ? null : Array.from({ length: n }, () => this.read());
      }
      default:
        throw new Error(`not RESP: ${JSON.stringify(line)}`);
    }
  }

  call(...args: (string | Buffer)[]): unknown {
    this.send(...args);
    return this.read();
  }
}
class ServerClosed extends Error {}

/** redis-server on 127.0.0.1 and a free port, nothing persisted; waits until it answers. */
async function startRedis(bin: string): Promise<{ proc: Proc; port: number }> {
  const dir = tempDir();
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const proc = new Proc(bin, [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ]);
    const end = performance.now() + 10_000;
    while (proc.running && performance.now() < end) {
      const s = socket.socket();
      s.settimeout(1);
      try {
        s.connect(['127.0.0.1', port]);
        return { proc, port };
      } catch (e) {
        if (!(e instanceof socket.ConnectionRefusedError)) throw e;
      } finally {
        s.close();
      }
      await delay(50);
    }
    proc.kill();
    await proc.closed; // port taken meanwhile, or it did not come up: try another port
  }
  throw new Error('redis-server did not start');
}

describe('redis-server (Debian package)', () => {
  it('PING, SET/GET of binary data and a pipeline in hand-written RESP; after a kill the next call fails with the OS error', async () => {
    const bin = requireBinary('redis-server');
    const { proc, port } = await startRedis(bin);
    const connect = () => {
      const s = track(socket.create_connection(['127.0.0.1', port], 5));
      return new Resp(s);
    };
    const a = connect();
    expect(a.call('PING')).toBe('+PONG');
    expect(a.call('PING', 'hello sockmode')).toEqual(Buffer.from('hello sockmode'));

    const value = Buffer.concat([Buffer.from('\r\n$3\r\n*1\r\n'), randomBytes(100_000)]); // RESP-looking bytes inside
    expect(a.call('SET', 'sockmode:bin', value)).toBe('+OK');
    expect(a.call('STRLEN', 'sockmode:bin')).toBe(value.length);
    const got = a.call('GET', 'sockmode:bin') as Buffer;
    expect(got.length).toBe(value.length);
    expect(got.equals(value)).toBe(true);
    expect(a.call('GET', 'sockmode:missing')).toBeNull();
    expect(a.call('NOSUCHCOMMAND')).toMatch(/^-ERR unknown command/);

    // 1,000 commands in one sendall, then 1,000 replies in order.
    const N = 1000;
    a.sock.sendall(Buffer.concat(Array.from({ length: N }, () => Resp.encode(['INCR', 'sockmode:counter']))));
    const replies = Array.from({ length: N }, () => a.read());
    expect(replies).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(a.call('MGET', 'sockmode:counter', 'sockmode:missing')).toEqual([Buffer.from(String(N)), null]);
    expect(a.call('DEL', 'sockmode:bin', 'sockmode:counter')).toBe(2);

    // A second connection, idle when the server dies.
    const b = connect();
    expect(b.call('PING')).toBe('+PONG');

    proc.kill();
    const { signal } = await bounded(proc.closed, 10_000, 'redis-server to exit');
    expect(signal).toBe('SIGKILL');

    const connectionErrors = [socket.ConnectionResetError, socket.BrokenPipeError, socket.ConnectionRefusedError];
    const isConnectionError = (e: unknown) => connectionErrors.some((C) => e instanceof C);

    // The next call, as a client library makes it: send the command, read the reply;
    // a connection the server closed (EOF) is reconnected once. The OS says how it failed.
    const call = (r: Resp, ...args: string[]): unknown => {
      try {
        return r.call(...args);
      } catch (e) {
        if (!(e instanceof ServerClosed)) throw e;
        r.sock.close();
        return connect().call(...args);
      }
    };
    const next = observe(() => call(a, 'PING'));
    expect(next.ok, JSON.stringify(next)).toBe(false);
    expect(['ConnectionResetError', 'BrokenPipeError', 'ConnectionRefusedError']).toContain(next.error);
    expect([104, 32, 111]).toContain(next.errno);

    // On the other connection, bare sends (bounded): the first error the OS reports
    // is one of those classes (the first send may still be accepted by the kernel).
    let first: unknown = null;
    for (let i = 0; i < 5 && first === null; i++) {
      try {
        b.sock.send(Resp.encode(['PING']));
      } catch (e) {
        first = e;
      }
    }
    expect(first, 'a send to the dead server failed').not.toBeNull();
    expect(isConnectionError(first), String(first)).toBe(true);
    console.log(`after the kill: the next call ${next.error} [Errno ${next.errno}], bare sends ${String(first)}`);

    // And a new connection is refused.
    const fresh = observe(() => socket.create_connection(['127.0.0.1', port], 2));
    expect([fresh.ok, fresh.error, fresh.errno]).toEqual([false, 'ConnectionRefusedError', 111]);
  });
});

// ---------------------------------------------------------------- curl against sockmode servers

/** One HTTP request read from a loop.sock_* connection: method, path, headers, body. */
async function readRequestAsync(conn: socket.Socket, signal: AbortSignal) {
  let buf = Buffer.alloc(0);
  let headEnd: number;
  while ((headEnd = buf.indexOf('\r\n\r\n')) < 0) {
    if (buf.length > 65536) throw new Error('request head too large');
    const d = await loop.sock_recv(conn, 65536, { signal });
    if (d.length === 0) throw new Error('EOF inside the request head');
    buf = Buffer.concat([buf, d]);
  }
  const [requestLine, ...lines] = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const [method, path] = requestLine.split(' ');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const length = Number(headers['content-length'] ?? 0);
  const chunks: Buffer[] = [buf.subarray(headEnd + 4)];
  let got = chunks[0].length;
  while (got < length) {
    const d = await loop.sock_recv(conn, Math.min(65536, length - got), { signal });
    if (d.length === 0) throw new Error('EOF inside the request body');
    chunks.push(d);
    got += d.length;
  }
  return { method, path, headers, body: Buffer.concat(chunks) };
}

/** curl's -w line: status, bytes downloaded, bytes uploaded. */
const WRITE_OUT = '%{http_code} %{size_download} %{size_upload}\\n';

describe('curl against sockmode HTTP servers', () => {
  it('a loop.sock_* server in this process: GET of a known body and POST echoed, byte for byte', async () => {
    const curl = requireBinary('curl');
    const dir = tempDir();
    const body = randomBytes(262_144 + 17);
    const upload = randomBytes(150_001);
    writeFileSync(join(dir, 'upload.bin'), upload);

    const listener = track(socket.create_server(['127.0.0.1', 0]));
    listener.setblocking(false);
    const port = (listener.getsockname() as [string, number])[1];
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]);
    setMaxListeners(0, signal);
    const seen: { method: string; path: string; agent: string; bodyIn: number }[] = [];
    const handlers: Promise<void>[] = [];

    const handle = async (conn: socket.Socket) => {
      try {
        const req = await readRequestAsync(conn, signal);
        seen.push({
          method: req.method,
          path: req.path,
          agent: req.headers['user-agent'] ?? '',
          bodyIn: req.body.length,
        });
        const [status, out] =
          req.method === 'GET' && req.path === '/body'
            ? ['200 OK', body]
            : req.method === 'POST' && req.path === '/echo'
              ? ['200 OK', req.body]
              : ['404 Not Found', Buffer.from('not found\n')];
        const head = `HTTP/1.1 ${status}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${out.length}\r\nConnection: close\r\n\r\n`;
        await loop.sock_sendall(conn, Buffer.concat([Buffer.from(head), out]), { signal });
        conn.shutdown(socket.SHUT_WR);
        // Let curl close first (never reset it with unread data), bounded.
        for (let i = 0; i < 100 && (await loop.sock_recv(conn, 65536, { signal })).length; i++);
      } finally {
        conn.close();
      }
    };
    const serving = (async () => {
      for (let i = 0; i < 20 && !signal.aborted; i++) {
        const [conn] = await loop.sock_accept(listener, { signal });
        handlers.push(handle(conn));
      }
    })().catch((e: unknown) => {
      if (!signal.aborted) throw e;
    });

    try {
      const url = `http://127.0.0.1:${port}`;
      const get = await run(curl, [
        '-sS',
        '--max-time',
        '10',
        '-o',
        join(dir, 'got.bin'),
        '-w',
        WRITE_OUT,
        `${url}/body`,
        '-o',
        join(dir, 'missing.txt'),
        `${url}/missing`,
      ]);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout.toString()).toBe(`200 ${body.length} 0\n404 10 0\n`);
      expect(readFileSync(join(dir, 'got.bin')).equals(body)).toBe(true);
      expect(readFileSync(join(dir, 'missing.txt'), 'utf8')).toBe('not found\n');

      const post = await run(curl, [
        '-sS',
        '--max-time',
        '10',
        '-H',
        'Expect:',
        '--data-binary',
        `@${join(dir, 'upload.bin')}`,
        '-o',
        join(dir, 'echo.bin'),
        '-w',
        WRITE_OUT,
        `${url}/echo`,
      ]);
      expect(post.code, post.stderr).toBe(0);
      expect(post.stdout.toString()).toBe(`200 ${upload.length} ${upload.length}\n`);
      expect(readFileSync(join(dir, 'echo.bin')).equals(upload)).toBe(true);

      await bounded(Promise.all(handlers), 10_000, 'the handlers to finish');
      expect(seen.map((r) => [r.method, r.path, r.bodyIn])).toEqual([
        ['GET', '/body', 0],
        ['GET', '/missing', 0],
        ['POST', '/echo', upload.length],
      ]);
      for (const r of seen) expect(r.agent).toMatch(/^curl\//);
    } finally {
      stop.abort();
      await serving;
      await Promise.allSettled(handlers);
      listener.close();
    }
  });

  it('a timeout-mode sockmode server in a child process: GET of a known body, POST echoed, 404', async () => {
    const curl = requireBinary('curl');
    const dir = tempDir();
    const body = randomBytes(500_000 + 3);
    const upload = randomBytes(70_000);
    writeFileSync(join(dir, 'body.bin'), body);
    writeFileSync(join(dir, 'upload.bin'), upload);
    const server = new Proc(process.execPath, [
      join(root, 'test', 'fixtures', 'http-server.mjs'),
      join(dir, 'body.bin'),
      '3',
      '20',
    ]);
    const port = Number((await server.waitFor(/^\{"port":(\d+)\}\n/))[1]);
    const url = `http://127.0.0.1:${port}`;

    const get = await run(curl, [
      '-sS',
      '--max-time',
      '10',
      '-o',
      join(dir, 'got.bin'),
      '-w',
      WRITE_OUT,
      `${url}/body`,
    ]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.toString()).toBe(`200 ${body.length} 0\n`);
    expect(readFileSync(join(dir, 'got.bin')).equals(body)).toBe(true);

    const post = await run(curl, [
      '-sS',
      '--max-time',
      '10',
      '-H',
      'Expect:',
      '--data-binary',
      `@${join(dir, 'upload.bin')}`,
      '-o',
      join(dir, 'echo.bin'),
      '-w',
      WRITE_OUT,
      `${url}/echo`,
    ]);
    expect(post.code, post.stderr).toBe(0);
    expect(post.stdout.toString()).toBe(`200 ${upload.length} ${upload.length}\n`);
    expect(readFileSync(join(dir, 'echo.bin')).equals(upload)).toBe(true);

    const missing = await run(curl, [
      '-sS',
      '--max-time',
      '10',
      '-o',
      '/dev/null',
      '-w',
      WRITE_OUT,
      `${url}/nothing-here`,
    ]);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout.toString()).toBe('404 10 0\n');

    const { code } = await bounded(server.closed, 10_000, 'the server to finish its 3 connections');
    expect(code, server.stderr).toBe(0);
    const lines = server.stdout.toString().trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]) as {
      served: number;
      requests: { method: string; path: string; status: number; bodyIn: number; bodyOut: number; agent: string }[];
    };
    expect(summary.served).toBe(3);
    expect(summary.requests.map((r) => [r.method, r.path, r.status, r.bodyIn, r.bodyOut])).toEqual([
      ['GET', '/body', 200, 0, body.length],
      ['POST', '/echo', 200, upload.length, upload.length],
      ['GET', '/nothing-here', 404, 0, 10],
    ]);
    for (const r of summary.requests) expect(r.agent).toMatch(/^curl\//);
  });
});
