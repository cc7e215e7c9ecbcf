/**
 * An async echo server and its clients on `loop.sock_*` only: Promises over
 * non-blocking sockets, waiting on Node's event loop (no thread pool, no
 * blocking call, no `net`). The server accepts with `sock_accept` and runs one
 * async handler per connection (`sock_recv`, then `sock_sendall` of what came,
 * until EOF), so it serves every connection at once. Each client connects
 * with `sock_connect`, sends its own payload (deterministic bytes, different
 * per client) with `sock_sendall` while it reads the echo with `sock_recv`,
 * half-closes, and reads until EOF. The server stops after serving N clients;
 * every call carries one AbortSignal, so the whole run also stops at the
 * deadline. Loopback only (127.0.0.1).
 *
 * The Python it reads like: asyncio's `await loop.sock_accept(server)`,
 * `await loop.sock_recv(conn, n)`, `await loop.sock_sendall(conn, data)`.
 *
 * Run it from the repository root (tsx, a dev dependency, runs the TypeScript
 * as it is; the package itself comes from dist/, built by `npm ci`):
 *
 *   npx tsx examples/async-echo.ts 50
 *
 * Arguments: the number of clients (default 20), `--size <bytes>` per client
 * (default 200000), `--timeout <seconds>` (default 15), `--json` for the result
 * as one JSON line. Exit status 0 when every client got its own bytes back.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as socket from 'sockmode';

const { loop } = socket;

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
  /** The error that stopped it, if one did. */
  error?: string;
  ok: boolean;
}

/** What the run did. */
export interface EchoResult {
  clients: number;
  /** Connections the server echoed to EOF and closed. */
  served: number;
  /** The most connections the server held open at once. */
  maxOpen: number;
  seconds: number;
  results: ClientResult[];
  ok: boolean;
}

/** Client i's payload: `size` bytes from a xorshift generator seeded with i (every client's differ). */
export function payload(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (0x2545f491 ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0 || 1;
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

/**
 * Runs the server and its clients until every client got its echo back or
 * `timeout` seconds passed. Everything it opens is closed.
 */
export async function main(options: EchoOptions = {}): Promise<EchoResult> {
  const { clients = 20, size = 200_000, timeout = 15 } = options;
  const t0 = performance.now();
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(timeout * 1000)]);
  setMaxListeners(0, signal); // every pending call listens to it: no leak warning
  const open = new Set<socket.Socket>();
  const track = (s: socket.Socket) => (open.add(s), s);
  const close = (s: socket.Socket) => {
    s.close();
    open.delete(s);
  };
  let served = 0;
  let openConns = 0;
  let maxOpen = 0;

  /** Echoes one connection until its client's EOF, then closes it. */
  async function handle(conn: socket.Socket): Promise<void> {
    maxOpen = Math.max(maxOpen, ++openConns);
    try {
      for (;;) {
        const data = await loop.sock_recv(conn, CHUNK, { signal });
        if (data.length === 0) break; // the client half-closed: everything is echoed
        await loop.sock_sendall(conn, data, { signal });
      }
      served++;
    } finally {
      openConns--;
      close(conn);
    }
  }

  /** Accepts `clients` connections, each handled concurrently; resolves when all are served. */
  async function serve(listener: socket.Socket): Promise<void> {
    const handlers: Promise<void>[] = [];
    for (let i = 0; i < clients; i++) {
      const [conn] = await loop.sock_accept(listener, { signal });
      handlers.push(handle(track(conn)));
    }
    await Promise.all(handlers);
  }

  /** One client: connect, send its payload while reading the echo, half-close, read to EOF. */
  async function client(i: number, address: [string, number]): Promise<ClientResult> {
    const data = payload(i, size);
    const chunks: Buffer[] = [];
    let sent = 0;
    let error: string | undefined;
    const sock = track(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
    try {
      sock.setblocking(false);
      await loop.sock_connect(sock, address, { signal });
      const reading = (async () => {
        for (;;) {
          const d = await loop.sock_recv(sock, CHUNK, { signal });
          if (d.length === 0) return;
          chunks.push(d);
        }
      })();
      try {
        for (; sent < data.length; sent = Math.min(sent + CHUNK, data.length)) {
          await loop.sock_sendall(sock, data.subarray(sent, sent + CHUNK), { signal });
        }
        sock.shutdown(socket.SHUT_WR); // no more to send: the server sees EOF
      } finally {
        await reading;
      }
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      stop.abort(e); // one failure ends the run
    } finally {
      close(sock);
    }
    const received = Buffer.concat(chunks);
    const sentSha256 = sha256(data);
    const receivedSha256 = sha256(received);
    return {
      client: i,
      sent,
      received: received.length,
      sentSha256,
      receivedSha256,
      ...(error === undefined ? {} : { error }),
      ok: error === undefined && sent === size && received.length === size && receivedSha256 === sentSha256,
    };
  }

  let results: ClientResult[];
  const listener = track(socket.socket(socket.AF_INET, socket.SOCK_STREAM));
  try {
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    listener.bind(['127.0.0.1', 0]);
    listener.listen(Math.min(clients, socket.SOMAXCONN));
    listener.setblocking(false);
    const address = listener.getsockname() as [string, number];
    const server = serve(listener).catch((e) => {
      stop.abort(e);
    });
    results = await Promise.all(Array.from({ length: clients }, (_, i) => client(i, address)));
    await server;
  } finally {
    for (const s of open) s.close(); // on failure: pending calls reject with [Errno 9]
  }
  return {
    clients,
    served,
    maxOpen,
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
  const r = await main({ clients, size, timeout });
  if (json) console.log(JSON.stringify(r));
  else {
    for (const c of r.results) {
      console.log(
        `client ${c.client}: sent ${c.sent}, got ${c.received} back ${c.ok ? 'ok' : `MISMATCH ${c.error ?? ''}`}`,
      );
    }
    console.log(
      `${r.served}/${r.clients} clients served by one async server in ${r.seconds.toFixed(3)} s ` +
        `(up to ${r.maxOpen} connections open at once)`,
    );
  }
  process.exitCode = r.ok ? 0 : 1;
}
