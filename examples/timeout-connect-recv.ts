/**
 * Socket timeouts on connect and recv, the scenario of the article "Socket
 * timeout in Python":
 *
 *     sock.settimeout(10)
 *     sock.connect(('example.com', 8080))
 *     data = sock.recv(1024)            # socket.timeout if nothing comes
 *
 * played on loopback with a timeout of 0.5 s:
 *
 * 1. connect() to a listener that never answers raises TimeoutError('timed
 *    out') once the timeout has passed. Loopback answers at once, so the
 *    listener is made unable to answer: it has backlog 0, never calls
 *    accept(), and a first connection fills its queue; the kernel then drops
 *    the next SYN, just as a far-away host that does not answer would.
 * 2. connect() to a port that is bound but not listening is refused at once
 *    (ConnectionRefusedError [Errno 111]): the timeout only limits waiting.
 * 3. recv() on a connected socket whose peer sends nothing raises TimeoutError
 *    after the timeout; once the peer has sent, recv returns at once.
 *
 * Run from the repository root:
 *
 *   npx tsx examples/timeout-connect-recv.ts
 */
import * as socket from 'sockmode';

const T = 0.5; // seconds: every wait below is bounded by it

/** Runs fn and prints what happened and how long it took. */
function attempt(what: string, fn: () => unknown): void {
  const t0 = performance.now();
  let outcome: string;
  try {
    const value = fn();
    outcome = Buffer.isBuffer(value) ? `b'${value.toString('latin1')}'` : 'ok';
  } catch (e) {
    // socket.timeout is TimeoutError, as in Python; it is an OSError whose errno is null.
    if (e instanceof socket.timeout) outcome = `${e.name}('${e.message}')`;
    else if (e instanceof socket.OSError) outcome = `${e.name} ${e.message}`;
    else throw e;
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`${what}: ${outcome} after ${elapsed.toFixed(3)} s`);
}

// 1. connect to a listener that never answers.
{
  using listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  listener.bind(['127.0.0.1', 0]);
  listener.listen(0); // a queue of one connection; accept() is never called
  const address = listener.getsockname() as [string, number];
  console.log(`listener on 127.0.0.1:${address[1]}: listen(0), never accepts`);

  // The first connection completes (the kernel answers for the listener) and fills the queue.
  using filler = socket.create_connection(address, T);
  console.log(`a first connection from port ${(filler.getsockname() as [string, number])[1]} fills its queue`);

  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  s.settimeout(T);
  console.log(`s.settimeout(${T}): s.gettimeout() = ${s.gettimeout()}`);
  attempt(`s.connect(('127.0.0.1', ${address[1]}))`, () => s.connect(address));
}

// 2. connect to a port nobody listens on: refused, without waiting.
{
  using bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  bound.bind(['127.0.0.1', 0]); // bound, not listening
  const address = bound.getsockname() as [string, number];
  using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  s.settimeout(T);
  attempt(`port ${address[1]} bound, not listening: s.connect(('127.0.0.1', ${address[1]}))`, () => s.connect(address));
}

// 3. recv on a connected socket whose peer is silent.
{
  using server = socket.create_server(['127.0.0.1', 0]);
  server.settimeout(T);
  using client = socket.create_connection(server.getsockname() as [string, number], T);
  const [conn] = server.accept();
  using _conn = conn; // closed at the end of the block
  console.log(`connected: client.gettimeout() = ${client.gettimeout()}`);
  attempt('silent peer: client.recv(1024)', () => client.recv(1024));
  conn.sendall(Buffer.from('hello'));
  attempt("after conn.sendall(b'hello'): client.recv(1024)", () => client.recv(1024));
}
