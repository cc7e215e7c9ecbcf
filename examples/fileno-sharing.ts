/**
 * The note in Python's socket docs: "the blocking and timeout modes are shared
 * between file descriptors and socket objects that refer to the same network
 * endpoint. This implementation detail can have visible consequences if e.g.
 * you decide to use the fileno() of a socket."
 *
 * Three socket objects on one connection: `a`, `d = a.dup()` and
 * `f = fromfd(a.fileno(), ...)`. dup() and fromfd() make new fds (dup(2)), but
 * all three fds refer to one open file description, and O_NONBLOCK belongs to
 * the description: a setter on any of them changes the flag for all. The
 * timeout value belongs to each object, and an object never reads the flag
 * back. After each step the table shows every object's gettimeout(),
 * getblocking() and its fd's real O_NONBLOCK flag. What it shows:
 *
 * - d.setblocking(false) sets the flag under `a`, which still says blocking:
 *   a.recv() raises BlockingIOError [Errno 11] at once instead of waiting;
 * - a.settimeout(0.5) changes a's timeout only;
 * - f.setblocking(true) clears the flag under `a`, whose timeout still holds:
 *   a.recv() still raises TimeoutError after 0.5 s (poll does the waiting);
 * - any other holder of the fd shares it too: Node's net.Socket({ fd }) sets
 *   O_NONBLOCK, and a blocking `a` then raises BlockingIOError.
 *
 * Every wait is bounded: the only recv that waits is in timeout mode.
 *
 * Run from the repository root:
 *
 *   npx tsx examples/fileno-sharing.ts
 */
import net from 'node:net';
import * as socket from 'sockmode';

const T = 0.5; // seconds

const [a, peer] = socket.socketpair(); // AF_UNIX, SOCK_STREAM; peer never sends
using _a = a;
using _peer = peer;
using d = a.dup(); // a new fd on the same open file description
using f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM); // the same, from a's fileno()
const objects: [string, socket.Socket][] = [
  ['a', a],
  ['d', d],
  ['f', f],
];
console.log(
  `a is fd ${a.fileno()}, d is fd ${d.fileno()}, f is fd ${f.fileno()}: three fds, one open file description`,
);

/** Prints four columns. */
function line(object: string, timeout: string, blocking: string, flag: string): void {
  console.log('  ' + object.padEnd(12) + timeout.padEnd(14) + blocking.padEnd(15) + flag);
}

/** Prints every object's mode after `step`: what the object says, and its fd's real O_NONBLOCK. */
function table(step: string): void {
  console.log(`after ${step}:`);
  line('object', 'gettimeout()', 'getblocking()', 'O_NONBLOCK');
  for (const [name, s] of objects) {
    const flag = socket.get_blocking(s.fileno()) ? 'clear' : 'set';
    line(`${name} (fd ${s.fileno()})`, String(s.gettimeout()), String(s.getblocking()), flag);
  }
}

/** Runs a.recv(1024) (nothing was sent) and prints the outcome and the elapsed time. */
function recvA(): void {
  const t0 = performance.now();
  let outcome: string;
  try {
    outcome = `b'${a.recv(1024).toString('latin1')}'`;
  } catch (e) {
    if (e instanceof socket.timeout) outcome = `${e.name}('${e.message}')`;
    else if (e instanceof socket.BlockingIOError) outcome = `${e.name} ${e.message}`;
    else throw e;
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`a.recv(1024) while a.gettimeout() = ${a.gettimeout()}: ${outcome} after ${elapsed.toFixed(3)} s`);
}

table('a, peer = socketpair(); d = a.dup(); f = fromfd(a.fileno())');

d.setblocking(false);
table('d.setblocking(false)');
recvA(); // a says blocking, but the shared flag makes the kernel answer EAGAIN

a.settimeout(T);
table(`a.settimeout(${T})`);

f.setblocking(true);
table('f.setblocking(true)');
recvA(); // the flag is clear, yet a is in timeout mode: poll waits at most T

a.setblocking(true);
table('a.setblocking(true)');
// Another holder: libuv makes every fd it is given non-blocking.
const n = new net.Socket({ fd: a.dup().detach(), readable: false, writable: false });
table('n = new net.Socket({ fd: a.dup().detach() })');
recvA(); // blocking object, non-blocking description: BlockingIOError at once
await new Promise<void>((resolve) => n.destroy().once('close', () => resolve()));
console.log('n.destroy(): closed its fd');
