/**
 * The three modes of Python's "Notes on socket timeouts": "A socket object can
 * be in one of three modes: blocking, non-blocking, or timeout."
 *
 * First the mode table: after each setter, what the object says
 * (gettimeout(), getblocking()) and what the kernel says (the fd's O_NONBLOCK
 * flag, read back with fcntl by socket.get_blocking(fd)). "At the operating
 * system level, sockets in timeout mode are internally set in non-blocking
 * mode": the flag is set in timeout mode too, and poll() does the waiting.
 *
 * Then recv() on a socketpair in each mode:
 * - blocking (settimeout(null) = setblocking(true)): the kernel waits for
 *   data; here the data is already there, so it returns at once (with none
 *   it would wait forever: the demo's connect-blocking scenario shows such a
 *   wait, in a child process under a watchdog);
 * - non-blocking (setblocking(false) = settimeout(0)): nothing to read raises
 *   BlockingIOError [Errno 11] (EAGAIN) at once;
 * - timeout (settimeout(0.5)): nothing to read raises TimeoutError('timed
 *   out') after 0.5 s.
 *
 * Run from the repository root:
 *
 *   npx tsx examples/three-modes.ts
 */
import * as socket from 'sockmode';

const T = 0.5; // seconds

const [a, b] = socket.socketpair(); // AF_UNIX, SOCK_STREAM: two connected sockets
using _a = a; // closed at exit, like Python's `with`
using _b = b;

/** Prints four columns. */
function line(call: string, timeout: string, blocking: string, flag: string): void {
  console.log(call.padEnd(20) + timeout.padEnd(14) + blocking.padEnd(15) + flag);
}

/** One row of the mode table: a's mode after `call`. */
function row(call: string): void {
  const flag = socket.get_blocking(a.fileno()) ? 'clear' : 'set';
  line(call, String(a.gettimeout()), String(a.getblocking()), flag);
}

console.log('the mode table:');
line('call', 'gettimeout()', 'getblocking()', 'O_NONBLOCK');
row('socketpair()');
a.settimeout(null);
row('settimeout(null)');
a.setblocking(true);
row('setblocking(true)');
a.setblocking(false);
row('setblocking(false)');
a.settimeout(0);
row('settimeout(0)');
a.settimeout(T);
row(`settimeout(${T})`);
console.log('');

/** Runs a.recv(1024) and prints the outcome and the elapsed time. */
function recv(modeName: string): void {
  const t0 = performance.now();
  let outcome: string;
  try {
    outcome = `b'${a.recv(1024).toString('latin1')}'`;
  } catch (e) {
    if (e instanceof socket.timeout) outcome = `${e.name}('${e.message}')`;
    else if (e instanceof socket.BlockingIOError) outcome = `${e.name} ${e.message} (errno ${e.errno}, ${e.code})`;
    else throw e;
  }
  const elapsed = (performance.now() - t0) / 1000;
  console.log(`${modeName.padEnd(14)}a.recv(1024) -> ${outcome} after ${elapsed.toFixed(3)} s`);
}

console.log("recv in each mode (only the blocking one finds data: b sent b'ping' first):");
a.setblocking(true);
b.sendall(Buffer.from('ping')); // blocking mode: the data must be there, or recv would wait forever
recv('blocking:');
a.setblocking(false);
recv('non-blocking:');
a.settimeout(T);
recv('timeout:');
