/**
 * The server of the article "Python Socket Accept Timeout": a listening socket
 * with a timeout, so accept() never waits forever. Each accept() that sees no
 * client within the timeout raises TimeoutError ('timed out'); the loop
 * prints "no connection within T s" and waits again. A client that arrives is
 * served: the server reads one line and answers "echo: <line>". It stops
 * after serving 2 clients or after 30 timeouts, whichever comes first
 * (`--clients N`, `--timeouts N`, `--timeout SECONDS`, `--port PORT` change
 * that; the port is any free one by default and is printed). 127.0.0.1 only.
 *
 * The accepted socket shows the rule of Python's docs: with no default timeout
 * (getdefaulttimeout() is null) it is in blocking mode, whatever the
 * listener's timeout. The server gives it a timeout of its own, so a client
 * that connects and says nothing cannot hold it either.
 *
 * Run from the repository root, then run examples/accept-timeout-client.ts
 * with the port it prints:
 *
 *   npx tsx examples/accept-timeout-server.ts
 */
import * as socket from 'sockmode';

/** `--name value` from the command line, or the default. */
function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} takes a non-negative number`);
  return v;
}

const T = option('timeout', 1); // seconds accept() waits for a client
const maxClients = option('clients', 2);
const maxTimeouts = option('timeouts', 30);

/** Reads up to and without the first '\n' (or to EOF); every recv waits at most the socket's timeout. */
function readLine(s: socket.Socket): string {
  const chunks: Buffer[] = [];
  for (let size = 0; size < 4096;) {
    const data = s.recv(1024);
    if (data.length === 0) break; // EOF
    chunks.push(data);
    size += data.length;
    if (data.includes(0x0a)) break;
  }
  return Buffer.concat(chunks).toString().split('\n')[0];
}

using server = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
server.bind(['127.0.0.1', option('port', 0)]);
server.listen();
server.settimeout(T);
const port = (server.getsockname() as [string, number])[1];
console.log(`listening on 127.0.0.1:${port}`);
console.log(`server.settimeout(${T}): server.gettimeout() = ${server.gettimeout()}`);
console.log(`stops after ${maxClients} clients or ${maxTimeouts} timeouts`);

let served = 0;
let timeouts = 0;
while (served < maxClients && timeouts < maxTimeouts) {
  const t0 = performance.now();
  let conn: socket.Socket;
  let address: socket.SockAddress;
  try {
    [conn, address] = server.accept();
  } catch (e) {
    if (!(e instanceof socket.timeout)) throw e;
    timeouts++;
    const elapsed = (performance.now() - t0) / 1000;
    console.log(
      `no connection within ${T} s (accept() raised ${e.name}('${e.message}') after ${elapsed.toFixed(3)} s)`,
    );
    continue;
  }
  using _conn = conn; // closed at the end of this iteration
  const [host, clientPort] = address as [string, number];
  console.log(
    `accepted ${host}:${clientPort}: conn.gettimeout() = ${conn.gettimeout()} (blocking, not the listener's ${T})`,
  );
  conn.settimeout(T);
  try {
    const line = readLine(conn);
    conn.sendall(Buffer.from(`echo: ${line}\n`));
    console.log(`got "${line}" from ${host}:${clientPort}, answered "echo: ${line}"`);
  } catch (e) {
    if (!(e instanceof socket.OSError)) throw e;
    console.log(`client ${host}:${clientPort} failed: ${e.name} ${e.message}`); // TimeoutError if it said nothing
  }
  served++;
}
console.log(`done: ${served} clients served, ${timeouts} accept() timeouts`);
