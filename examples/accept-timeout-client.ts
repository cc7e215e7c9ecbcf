/**
 * The client of the article "Python Socket Accept Timeout", for
 * examples/accept-timeout-server.ts: it connects to 127.0.0.1:<port> with a
 * timeout of 3 s, as the article's client does,
 *
 *     s.settimeout(3)
 *     s.connect(('127.0.0.1', port))
 *
 * sends one line and prints the server's reply. Every wait is bounded by the
 * timeout. With no server on the port, Linux refuses the connection at once:
 * ConnectionRefusedError [Errno 111], exit status 1.
 *
 * Run from the repository root, with the port the server printed (and an
 * optional message as a second argument):
 *
 *   npx tsx examples/accept-timeout-client.ts <port>
 */
import * as socket from 'sockmode';

const T = 3; // seconds

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: npx tsx examples/accept-timeout-client.ts <port> [message]');
  process.exit(2);
}
const message = process.argv[3] ?? `hello from client ${process.pid}`;

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

using s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
s.settimeout(T);
console.log(`s.settimeout(${T}); s.connect(('127.0.0.1', ${port}))`);
try {
  s.connect(['127.0.0.1', port]);
} catch (e) {
  if (e instanceof socket.timeout) console.log(`no answer within ${T} s: ${e.name}('${e.message}')`);
  else if (e instanceof socket.ConnectionRefusedError) console.log(`${e.name} ${e.message}: is the server running?`);
  else throw e;
  process.exit(1);
}
console.log(`connected from 127.0.0.1:${(s.getsockname() as [string, number])[1]}`);
s.sendall(Buffer.from(`${message}\n`));
console.log(`sent "${message}"`);
const reply = readLine(s);
console.log(`got "${reply}"`);
