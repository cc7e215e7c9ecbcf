/**
 * setdefaulttimeout(): one timeout for every socket created afterwards, as in
 * Python's docs ("Sockets are by default always created in blocking mode, but
 * this can be changed by calling setdefaulttimeout()") and the accept-timeout
 * article's third case. It shows, line by line:
 *
 * - new sockets (socket(), socketpair(), create_server(), create_connection()
 *   without a timeout argument) start with the default timeout, and their
 *   fd's O_NONBLOCK is set (timeout mode waits with poll, not in the kernel);
 * - a recv() on a socket that never called settimeout() times out through the
 *   inherited timeout;
 * - an accepted socket gets the default timeout, not the listener's own; with
 *   no default it is blocking, even from a listener in timeout or
 *   non-blocking mode (on Linux accept4() never inherits O_NONBLOCK);
 * - the default is read only when a socket is created: setdefaulttimeout(null)
 *   makes new sockets blocking again, older ones keep their timeout.
 *
 * Run from the repository root:
 *
 *   npx tsx examples/setdefaulttimeout.ts
 */
import * as socket from 'sockmode';

const T = 0.5; // seconds: the default timeout, and the bound of every wait below

/** A socket's mode: what the object says, and the fd's real O_NONBLOCK flag. */
function mode(s: socket.Socket): string {
  const flag = socket.get_blocking(s.fileno()) ? 'clear' : 'set';
  return `gettimeout() = ${s.gettimeout()}, getblocking() = ${s.getblocking()}, O_NONBLOCK ${flag}`;
}

console.log(`getdefaulttimeout() = ${socket.getdefaulttimeout()}`);
{
  using s = socket.socket();
  console.log(`socket(): ${mode(s)}`);
}

socket.setdefaulttimeout(T);
console.log(`setdefaulttimeout(${T}); getdefaulttimeout() = ${socket.getdefaulttimeout()}`);

using s = socket.socket();
console.log(`socket(): ${mode(s)}`);
const [a, b] = socket.socketpair();
using _a = a;
using _b = b;
console.log(`a, b = socketpair(): a ${mode(a)}`);
using listener = socket.create_server(['127.0.0.1', 0]);
const address = listener.getsockname() as [string, number];
console.log(`listener = create_server(('127.0.0.1', 0)): ${mode(listener)}`);
{
  using c = socket.create_connection(address);
  console.log(`create_connection(('127.0.0.1', ${address[1]})): ${mode(c)}`);
  listener.settimeout(2);
  const [conn] = listener.accept();
  using _conn = conn;
  console.log(`listener.settimeout(2); conn = listener.accept(): conn ${mode(conn)}`);
}

// a never called settimeout(): its recv waits at most the default timeout.
{
  const t0 = performance.now();
  try {
    a.recv(1024);
    console.log('a.recv(1024) returned data: unexpected');
  } catch (e) {
    if (!(e instanceof socket.timeout)) throw e;
    const elapsed = (performance.now() - t0) / 1000;
    console.log(`a.recv(1024) with nothing sent: ${e.name}('${e.message}') after ${elapsed.toFixed(3)} s`);
  }
}

socket.setdefaulttimeout(null);
console.log(`setdefaulttimeout(null); getdefaulttimeout() = ${socket.getdefaulttimeout()}`);
{
  using t = socket.socket();
  console.log(`socket(): ${mode(t)}`);
}
console.log(`the socket made before keeps its timeout: s ${mode(s)}`);
{
  using c = socket.create_connection(address, T);
  const [conn] = listener.accept(); // the listener is still in timeout mode (2 s)
  using _conn = conn;
  console.log(`listener in timeout mode (2): conn = listener.accept(): conn ${mode(conn)}`);
}
{
  using c = socket.create_connection(address, T);
  listener.setblocking(false); // the connection is already queued: accept() returns it at once
  const [conn] = listener.accept();
  using _conn = conn;
  console.log(`listener.setblocking(false); conn = listener.accept(): conn ${mode(conn)}`);
}

socket.setdefaulttimeout(0);
{
  using t = socket.socket();
  console.log(`setdefaulttimeout(0); socket(): ${mode(t)}`);
}
socket.setdefaulttimeout(null);
