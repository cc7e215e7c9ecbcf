/**
 * A selector-based echo server: one thread, non-blocking sockets, one
 * `DefaultSelector` (epoll on Linux) driving the listener, every accepted
 * connection and the clients too. Each client sends its own payload
 * (deterministic bytes, different per client), half-closes, and reads the echo
 * until EOF; the server echoes everything back and closes each connection once
 * its client's EOF came and all bytes went out. It stops after serving every
 * client, or at the deadline. Loopback only (127.0.0.1).
 *
 * The Python it reads like: `selectors.DefaultSelector()`, `sel.register(sock,
 * EVENT_READ, data)`, `for key, mask in sel.select(timeout): ...`.
 *
 * Run it from the repository root (tsx, a dev dependency, runs the TypeScript
 * as it is; the package itself comes from dist/, built by `npm ci`):
 *
 *   npx tsx examples/selector-echo.ts 50
 *
 * Arguments: the number of clients (default 20), `--size <bytes>` per client
 * (default 200000), `--timeout <seconds>` (default 15), `--json` for the result
 * as one JSON line. Exit status 0 when every client got its own bytes back.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as socket from 'sockmode';
import { DefaultSelector, EVENT_READ, EVENT_WRITE } from 'sockmode/selectors';

/** Options of {@link main}. */
export interface EchoOptions {
  /** How many clients connect (all at once). */
  clients?: number;
  /** Bytes each client sends. */
  size?: number;
  /** Seconds before giving up. */
  timeout?: number;
}

/** What one client saw. */
export interface ClientResult {
  client: number;
  sent: number;
  received: number;
  sentSha256: string;
  receivedSha256: string;
  ok: boolean;
}

/** What the run did. */
export interface EchoResult {
  clients: number;
  served: number;
  /** The most connections the server held open at once. */
  maxOpen: number;
  selectCalls: number;
  seconds: number;
  results: ClientResult[];
  ok: boolean;
}

/** Client i's payload: `size` bytes from a xorshift generator seeded with i (so every client's differ). */
export function payload(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (0x9e3779b9 ^ (i * 0x85ebca6b)) >>> 0 || 1;
  for (let k = 0; k < size; k++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[k] = x & 0xff;
  }
  return b;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CHUNK = 65536;
/** The server stops reading a connection while this much echo is waiting to go out. */
const HIGH_WATER = 1 << 20;

type Listener = { kind: 'listener' };
type Conn = { kind: 'conn'; sock: socket.Socket; pending: Buffer[]; pendingBytes: number; eof: boolean };
type Client = {
  kind: 'client';
  sock: socket.Socket;
  index: number;
  data: Buffer;
  sent: number;
  connected: boolean;
  /** Sent everything and half-closed. */
  shut: boolean;
  chunks: Buffer[];
  got: number;
  done: boolean;
};
type Role = Listener | Conn | Client;

/** Receives what is there without waiting: data, an empty buffer at EOF, or null when it would block. */
function recvNow(sock: socket.Socket): Buffer | null {
  try {
    return sock.recv(CHUNK);
  } catch (e) {
    if (e instanceof socket.BlockingIOError) return null;
    throw e;
  }
}

/** Sends what fits without waiting; returns the bytes sent (0 when it would block). */
function sendNow(sock: socket.Socket, data: Buffer): number {
  try {
    return sock.send(data);
  } catch (e) {
    if (e instanceof socket.BlockingIOError) return 0;
    throw e;
  }
}

/**
 * Runs the server and its clients on one selector until every client got its
 * echo back or `timeout` seconds passed. Everything it opens is closed.
 */
export function main(options: EchoOptions = {}): EchoResult {
  const { clients = 20, size = 200_000, timeout = 15 } = options;
  const t0 = performance.now();
  const deadline = t0 + timeout * 1000;
  const sel = new DefaultSelector<Role>();
  const open = new Set<socket.Socket>();
  const clientList: Client[] = [];
  let served = 0;
  let openConns = 0;
  let maxOpen = 0;
  let selectCalls = 0;

  const listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  open.add(listener);
  try {
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    listener.bind(['127.0.0.1', 0]);
    listener.listen(Math.min(clients, socket.SOMAXCONN));
    listener.setblocking(false);
    sel.register(listener, EVENT_READ, { kind: 'listener' });
    const address = listener.getsockname() as [string, number];

    for (let i = 0; i < clients; i++) {
      const sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
      open.add(sock);
      sock.setblocking(false);
      const err = sock.connect_ex(address); // 0, or EINPROGRESS: writable once connected
      if (err !== 0 && err !== constants.errno.EINPROGRESS) throw new socket.OSError(err, 'connect_ex failed');
      const c: Client = {
        kind: 'client',
        sock,
        index: i,
        data: payload(i, size),
        sent: 0,
        connected: false,
        shut: false,
        chunks: [],
        got: 0,
        done: false,
      };
      clientList.push(c);
      sel.register(sock, EVENT_READ | EVENT_WRITE, c);
    }

    const finish = (sock: socket.Socket) => {
      sel.unregister(sock);
      sock.close();
      open.delete(sock);
    };

    let finished = 0;
    while (finished < clients || served < clients) {
      const remaining = (deadline - performance.now()) / 1000;
      if (remaining <= 0) break;
      selectCalls++;
      for (const [key, events] of sel.select(Math.min(remaining, 1))) {
        const role = key.data;
        if (role.kind === 'listener') {
          // accept everything that is waiting
          for (;;) {
            let conn: socket.Socket;
            try {
              [conn] = listener.accept();
            } catch (e) {
              if (e instanceof socket.BlockingIOError) break;
              throw e;
            }
            open.add(conn);
            conn.setblocking(false);
            sel.register(conn, EVENT_READ, { kind: 'conn', sock: conn, pending: [], pendingBytes: 0, eof: false });
            maxOpen = Math.max(maxOpen, ++openConns);
          }
        } else if (role.kind === 'conn') {
          if (events & EVENT_READ) {
            const data = recvNow(role.sock);
            if (data !== null && data.length === 0) role.eof = true;
            else if (data !== null) {
              role.pending.push(data);
              role.pendingBytes += data.length;
            }
          }
          if (events & EVENT_WRITE || role.pending.length) {
            while (role.pending.length) {
              const head = role.pending[0];
              const n = sendNow(role.sock, head);
              role.pendingBytes -= n;
              if (n < head.length) {
                role.pending[0] = head.subarray(n);
                break;
              }
              role.pending.shift();
            }
          }
          if (role.eof && role.pending.length === 0) {
            finish(role.sock); // all echoed: the client sees EOF after the last byte
            openConns--;
            served++;
            continue;
          }
          const want =
            (role.eof || role.pendingBytes >= HIGH_WATER ? 0 : EVENT_READ) | (role.pending.length ? EVENT_WRITE : 0);
          if (want !== key.events) sel.modify(role.sock, want, role);
        } else {
          const c = role;
          if (!c.connected && events & EVENT_WRITE) {
            const err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) as number;
            if (err !== 0) throw new socket.OSError(err, `client ${c.index} could not connect`);
            c.connected = true;
          }
          if (c.connected && !c.shut && events & EVENT_WRITE) {
            if (c.sent < c.data.length) c.sent += sendNow(c.sock, c.data.subarray(c.sent, c.sent + CHUNK));
            if (c.sent === c.data.length) {
              c.sock.shutdown(socket.SHUT_WR); // no more to send: the server sees EOF
              c.shut = true;
              sel.modify(c.sock, EVENT_READ, c);
            }
          }
          if (events & EVENT_READ) {
            const data = recvNow(c.sock);
            if (data !== null && data.length === 0) {
              c.done = true;
              finished++;
              finish(c.sock);
            } else if (data !== null) {
              c.chunks.push(data);
              c.got += data.length;
            }
          }
        }
      }
    }
  } finally {
    for (const s of open) s.close();
    sel.close();
  }

  const results = clientList.map((c): ClientResult => {
    const received = Buffer.concat(c.chunks);
    const sentSha256 = sha256(c.data);
    const receivedSha256 = sha256(received);
    return {
      client: c.index,
      sent: c.sent,
      received: received.length,
      sentSha256,
      receivedSha256,
      ok: c.done && c.sent === size && received.length === size && receivedSha256 === sentSha256,
    };
  });
  return {
    clients,
    served,
    maxOpen,
    selectCalls,
    seconds: (performance.now() - t0) / 1000,
    results,
    ok: served === clients && results.every((r) => r.ok),
  };
}

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args.splice(i, 2)[1]) : undefined;
  };
  const json = args.includes('--json');
  const size = opt('--size');
  const timeout = opt('--timeout');
  const positional = args.filter((a) => a !== '--json');
  const clients = positional.length ? Number(positional[0]) : undefined;
  const r = main({ clients, size, timeout });
  if (json) console.log(JSON.stringify(r));
  else {
    for (const c of r.results) {
      console.log(`client ${c.client}: sent ${c.sent}, got ${c.received} back ${c.ok ? 'ok' : 'MISMATCH'}`);
    }
    console.log(
      `${r.served}/${r.clients} clients served from one thread in ${r.seconds.toFixed(3)} s ` +
        `(${r.selectCalls} select() calls, up to ${r.maxOpen} connections open at once)`,
    );
  }
  process.exitCode = r.ok ? 0 : 1;
}
