// Load: one sockmode server in this process serves 1,000 concurrent TCP
// connections from clients in four other processes (two on node:net, two on
// Python's asyncio: test/fixtures/echo-client.mjs and echo_client.py). Each
// connection carries one checksummed random payload (4-byte body length, the
// body's SHA-256, 0..64 KiB of random body); the server checks the checksum of
// what it received and echoes every byte back; each client checks its echo is
// byte for byte what it sent. The server opens its gate only once all 1,000
// connections are accepted (it reads nothing before), so all of them are open
// at the same time. The test then accounts for every byte: what the clients
// sent = what the server received = what it echoed = what the clients got, and
// the server's list of verified checksums is the clients' list.
//
// Two servers: DefaultSelector over non-blocking sockets (the test's thread
// runs the selector loop, bounded by a deadline), and loop.sock_* Promises
// (the event loop, bounded by an AbortSignal). Loopback only (127.0.0.1).
// Every child is killed at the end, also on failure; each also gives up by
// itself after its own deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from '../lib/selectors.js';
import { checkNoFdLeaks, root } from './helpers.js';

const { loop } = socket;

checkNoFdLeaks();

/** Connections in all, from this many client processes. */
const CONNECTIONS = 1000;
const CLIENTS = 4;
/** Largest random body of one connection. */
const MAX_BODY = 65536;
/** The time bound of one run, in seconds (server deadline and assertion). */
const BOUND = 30;
/** Each client process gives up by itself after this long. */
const CLIENT_DEADLINE = BOUND + 10;
const HEADER = 4 + 32;
const CHUNK = 65536;

/** What one client process reported (its last stdout line). */
interface ClientReport {
  client: string;
  pid: number;
  connections: number;
  ok: number;
  failed: number;
  bytesSent: number;
  bytesReceived: number;
  digests: string[];
  errors: string[];
  timedOut: boolean;
  seconds: number;
}

/** A running client process and what it reports when it ends. */
interface Client {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; report: ClientReport | null; stderr: string }>;
}

/** Starts client process k (even k: node:net, odd k: python3) with `connections` connections to port. */
function startClient(k: number, port: number, connections: number): Client {
  const args = [String(port), String(connections), String(MAX_BODY), String(CLIENT_DEADLINE)];
  const child =
    k % 2 === 0
      ? spawn(process.execPath, [join(root, 'test', 'fixtures', 'echo-client.mjs'), ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn('python3', [join(root, 'test', 'fixtures', 'echo_client.py'), ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Awaited<Client['done']>>((resolve) => {
    child.on('error', (e) => (stderr += String(e)));
    // 'close': the process ended and its pipes are closed (no fd of ours left behind).
    child.on('close', (code, signal) => {
      let report: ClientReport | null;
      try {
        report = JSON.parse(stdout.trim().split('\n').pop()!) as ClientReport;
      } catch {
        report = null;
      }
      resolve({ code, signal, report, stderr });
    });
  });
  return { child, done };
}

/** Kills every client still running (SIGKILL, by its own pid) and waits, bounded, until their pipes are closed. */
async function stopClients(clients: Client[]): Promise<void> {
  for (const { child } of clients) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await bounded(Promise.all(clients.map((c) => c.done)), 10_000, 'the killed clients to close');
}

/** p, or a rejection after ms. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The server side's check of one connection: the header's length and SHA-256 against the body that came. */
class Checksum {
  #header = Buffer.alloc(0);
  #hash = createHash('sha256');
  #body = 0;
  feed(d: Buffer): void {
    if (this.#header.length < HEADER) {
      const take = Math.min(HEADER - this.#header.length, d.length);
      this.#header = Buffer.concat([this.#header, d.subarray(0, take)]);
      d = d.subarray(take);
    }
    if (d.length) {
      this.#hash.update(d);
      this.#body += d.length;
    }
  }
  /** The body's digest (16 hex digits) when length and checksum match, else why not. */
  finish(): { ok: true; digest: string } | { ok: false; why: string } {
    if (this.#header.length < HEADER) return { ok: false, why: `only ${this.#header.length} header bytes` };
    const length = this.#header.readUInt32BE(0);
    const digest = this.#hash.digest();
    if (length !== this.#body) return { ok: false, why: `header says ${length} body bytes, ${this.#body} came` };
    if (!digest.equals(this.#header.subarray(4))) return { ok: false, why: 'checksum mismatch' };
    return { ok: true, digest: digest.toString('hex').slice(0, 16) };
  }
}

/** What a server run did. */
interface ServerStats {
  accepted: number;
  /** Connections echoed to the client's EOF, checksum verified, closed. */
  served: number;
  /** Connections that went wrong, with why (at most 10 kept). */
  bad: string[];
  badCount: number;
  bytesIn: number;
  bytesOut: number;
  /** The most connections open at once. */
  maxOpen: number;
  /** Verified body digests (16 hex digits), one per served connection. */
  digests: string[];
  seconds: number;
}

const newStats = (): ServerStats => ({
  accepted: 0,
  served: 0,
  bad: [],
  badCount: 0,
  bytesIn: 0,
  bytesOut: 0,
  maxOpen: 0,
  digests: [],
  seconds: 0,
});
function noteBad(stats: ServerStats, why: string): void {
  stats.badCount++;
  if (stats.bad.length < 10) stats.bad.push(why);
}

type Conn = { kind: 'conn'; id: number; sock: socket.Socket; check: Checksum; pending: Buffer[]; eof: boolean };
type Role = { kind: 'listener' } | Conn;

/**
 * The selector server: one thread, non-blocking sockets, one DefaultSelector.
 * Accepts until `expected` connections are in, then registers them all for
 * reading (the gate) and echoes each until its client's EOF, checks the
 * checksum and closes it. Returns when every connection is done or at the
 * deadline; closes everything it opened (the listener stays the caller's).
 */
function selectorServer(listener: socket.Socket, expected: number, deadline: number): ServerStats {
  const t0 = performance.now();
  const stats = newStats();
  const sel = new DefaultSelector<Role>();
  const conns = new Set<Conn>();
  const done = (c: Conn, why?: string) => {
    if (sel.get_map()?.has(c.sock)) sel.unregister(c.sock);
    c.sock.close();
    conns.delete(c);
    if (why !== undefined) noteBad(stats, `conn ${c.id}: ${why}`);
  };
  try {
    sel.register(listener, EVENT_READ, { kind: 'listener' });
    while (stats.served + stats.badCount < expected) {
      const remaining = (deadline - performance.now()) / 1000;
      if (remaining <= 0) break;
      for (const [key, events] of sel.select(Math.min(remaining, 0.5))) {
        const role = key.data;
        if (role.kind === 'listener') {
          while (stats.accepted < expected) {
            let conn: socket.Socket;
            try {
              [conn] = listener.accept();
            } catch (e) {
              if (e instanceof socket.BlockingIOError) break;
              throw e;
            }
            conn.setblocking(false);
            conns.add({
              kind: 'conn',
              id: stats.accepted++,
              sock: conn,
              check: new Checksum(),
              pending: [],
              eof: false,
            });
            stats.maxOpen = Math.max(stats.maxOpen, conns.size);
          }
          if (stats.accepted === expected) {
            // Everyone is in: stop accepting, open the gate.
            sel.unregister(listener);
            for (const c of conns) sel.register(c.sock, EVENT_READ, c);
          }
          continue;
        }
        const c = role;
        try {
          if (events & EVENT_READ) {
            try {
              const d = c.sock.recv(CHUNK);
              if (d.length === 0) c.eof = true;
              else {
                stats.bytesIn += d.length;
                c.check.feed(d);
                c.pending.push(d);
              }
            } catch (e) {
              if (!(e instanceof socket.BlockingIOError)) throw e;
            }
          }
          while (c.pending.length) {
            const head = c.pending[0];
            let n = 0;
            try {
              n = c.sock.send(head);
            } catch (e) {
              if (!(e instanceof socket.BlockingIOError)) throw e;
            }
            stats.bytesOut += n;
            if (n < head.length) {
              c.pending[0] = head.subarray(n);
              break;
            }
            c.pending.shift();
          }
        } catch (e) {
          done(c, `${(e as Error).name}: ${(e as Error).message}`);
          continue;
        }
        if (c.eof && c.pending.length === 0) {
          const r = c.check.finish();
          if (r.ok) {
            stats.served++;
            stats.digests.push(r.digest);
            done(c);
          } else done(c, r.why);
          continue;
        }
        // At most one payload (64 KiB + header) is pending: no high-water mark needed.
        const want = (c.eof ? 0 : EVENT_READ) | (c.pending.length ? EVENT_WRITE : 0);
        if (want !== key.events) sel.modify(c.sock, want, c);
      }
    }
  } finally {
    for (const c of conns) c.sock.close();
    sel.close();
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

/**
 * The same server on loop.sock_*: sock_accept until `expected` are in, then
 * (the gate) one async handler per connection with sock_recv / sock_sendall
 * until its client's EOF. Every call carries `signal`. Closes everything it
 * opened (the listener stays the caller's).
 */
async function loopServer(listener: socket.Socket, expected: number, signal: AbortSignal): Promise<ServerStats> {
  const t0 = performance.now();
  const stats = newStats();
  const open = new Set<socket.Socket>();
  let openGate!: () => void;
  const gate = new Promise<void>((r) => (openGate = r));

  async function handle(id: number, sock: socket.Socket): Promise<void> {
    const check = new Checksum();
    try {
      await gate;
      for (;;) {
        const d = await loop.sock_recv(sock, CHUNK, { signal });
        if (d.length === 0) break;
        stats.bytesIn += d.length;
        check.feed(d);
        await loop.sock_sendall(sock, d, { signal });
        stats.bytesOut += d.length;
      }
      const r = check.finish();
      if (r.ok) {
        stats.served++;
        stats.digests.push(r.digest);
      } else noteBad(stats, `conn ${id}: ${r.why}`);
    } catch (e) {
      noteBad(stats, `conn ${id}: ${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      sock.close();
      open.delete(sock);
    }
  }

  const handlers: Promise<void>[] = [];
  try {
    while (stats.accepted < expected) {
      const [conn] = await loop.sock_accept(listener, { signal });
      open.add(conn);
      stats.maxOpen = Math.max(stats.maxOpen, open.size);
      handlers.push(handle(stats.accepted++, conn));
    }
    openGate();
    await Promise.all(handlers);
  } catch (e) {
    noteBad(stats, `accept: ${(e as Error).name}: ${(e as Error).message}`);
  } finally {
    for (const s of open) s.close(); // pending calls reject with [Errno 9]
    openGate();
    await Promise.all(handlers);
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

/** Every connection served and every byte accounted for, on both sides. */
function expectAccounted(stats: ServerStats, ends: Awaited<Client['done']>[]): void {
  expect(stats.bad).toEqual([]);
  expect(stats.badCount).toBe(0);
  expect(stats.accepted).toBe(CONNECTIONS);
  expect(stats.served).toBe(CONNECTIONS);
  expect(stats.maxOpen).toBe(CONNECTIONS); // all 1,000 open at once (the gate)

  const reports = ends.map((e, k) => {
    expect(e.report, `client ${k} (exit ${e.code} ${e.signal ?? ''}): ${e.stderr}`).not.toBeNull();
    return e.report!;
  });
  for (const [k, r] of reports.entries()) {
    expect([r.connections, r.ok, r.failed, r.errors, r.timedOut], `client ${k} (${r.client})`).toEqual([
      CONNECTIONS / CLIENTS,
      CONNECTIONS / CLIENTS,
      0,
      [],
      false,
    ]);
    expect(ends[k].code, ends[k].stderr).toBe(0);
  }
  expect(new Set(reports.map((r) => r.client))).toEqual(new Set(['node:net', 'python3 asyncio']));

  const sent = reports.reduce((n, r) => n + r.bytesSent, 0);
  const received = reports.reduce((n, r) => n + r.bytesReceived, 0);
  // Every payload has its 36-byte header, and the bodies are random 0..64 KiB: far more than headers alone.
  expect(sent).toBeGreaterThan(CONNECTIONS * HEADER * 10);
  expect([stats.bytesIn, stats.bytesOut, received]).toEqual([sent, sent, sent]);

  // The checksums the server verified are exactly the clients' payloads.
  const clientDigests = reports.flatMap((r) => r.digests).sort();
  expect(clientDigests).toHaveLength(CONNECTIONS);
  expect([...stats.digests].sort()).toEqual(clientDigests);
  expect(new Set(clientDigests).size).toBeGreaterThan(CONNECTIONS - 5); // random bodies: (almost) all different
}

describe('load: 1,000 concurrent connections from 4 client processes, checksummed echo', () => {
  it('DefaultSelector + non-blocking sockets: every connection verified, every byte accounted for, within 30 s', async () => {
    const listener = socket.create_server(['127.0.0.1', 0], { backlog: 1024 });
    const clients: Client[] = [];
    try {
      listener.setblocking(false);
      const port = (listener.getsockname() as [string, number])[1];
      const t0 = performance.now();
      for (let k = 0; k < CLIENTS; k++) clients.push(startClient(k, port, CONNECTIONS / CLIENTS));
      // The clients run in their own processes while this thread runs the selector loop.
      const stats = selectorServer(listener, CONNECTIONS, t0 + BOUND * 1000);
      const ends = await bounded(Promise.all(clients.map((c) => c.done)), 15_000, 'the clients to report');
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `selector: ${stats.served}/${CONNECTIONS} connections, ${stats.bytesIn} bytes in, ${stats.bytesOut} out, ` +
          `up to ${stats.maxOpen} open, server ${stats.seconds.toFixed(2)} s, all clients done in ${seconds.toFixed(2)} s`,
      );
      expectAccounted(stats, ends);
      expect(stats.seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(BOUND);
    } finally {
      listener.close();
      await stopClients(clients);
    }
  }, 90_000);

  it('loop.sock_* (Promises on the event loop): every connection verified, every byte accounted for, within 30 s', async () => {
    const listener = socket.create_server(['127.0.0.1', 0], { backlog: 1024 });
    const clients: Client[] = [];
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(BOUND * 1000)]);
    setMaxListeners(0, signal); // every pending call listens to it
    try {
      listener.setblocking(false);
      const port = (listener.getsockname() as [string, number])[1];
      const t0 = performance.now();
      for (let k = 0; k < CLIENTS; k++) clients.push(startClient(k, port, CONNECTIONS / CLIENTS));
      const stats = await loopServer(listener, CONNECTIONS, signal);
      const ends = await bounded(Promise.all(clients.map((c) => c.done)), 15_000, 'the clients to report');
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `loop.sock_*: ${stats.served}/${CONNECTIONS} connections, ${stats.bytesIn} bytes in, ${stats.bytesOut} out, ` +
          `up to ${stats.maxOpen} open, server ${stats.seconds.toFixed(2)} s, all clients done in ${seconds.toFixed(2)} s`,
      );
      expectAccounted(stats, ends);
      expect(stats.seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(BOUND);
    } finally {
      stop.abort();
      listener.close();
      await stopClients(clients);
    }
  }, 90_000);
});
