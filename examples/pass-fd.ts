/**
 * Hand a file descriptor to a child process over AF_UNIX with `send_fds`
 * (SCM_RIGHTS), the pre-fork server pattern: the parent accepts a TCP
 * connection on 127.0.0.1, passes the connected socket to a worker process
 * and closes its own copy; the worker adopts the fd it received
 * (`socket(fileno=fd)`), reads the request and answers the client itself.
 *
 * Run from the repository root (tsx, a dev dependency, runs the TypeScript
 * as it is; the package itself comes from dist/, built by `npm ci`):
 *
 *   npx tsx examples/pass-fd.ts
 *
 * The worker is this same file, started again by the parent in a child
 * process (`node --import tsx`) with the arguments `worker <timeout>`.
 *
 * Bounded: every socket is in timeout mode (`timeout` seconds) and the worker
 * is killed if it outlives a watchdog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as socket from 'sockmode';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..');

export interface PassFdOptions {
  /** Seconds any one call may wait (default 5). */
  timeout?: number;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

/** What the worker saw, reported as one JSON line on its stdout. */
export interface WorkerReport {
  pid: number;
  /** The data that came with the fd. */
  message: string;
  fds: number;
  msg_flags: number;
  /** The received fd is close-on-exec (MSG_CMSG_CLOEXEC). */
  cloexec: boolean;
  /** family/type detected from the adopted fd. */
  family: number;
  type: number;
  peer: socket.SockAddress;
  request: string;
}

export interface PassFdResult {
  parentPid: number;
  /** The client's view: what came back over the TCP connection. */
  reply: string;
  /** The client's own address, as the parent's accept() saw it. */
  client: socket.SockAddress;
  worker: WorkerReport;
  workerExit: number | null;
}

/** Whether fd is close-on-exec (Linux: /proc/self/fdinfo flags, octal). */
function isCloexec(fd: number): boolean {
  const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m !== null && (parseInt(m[1], 8) & 0o2000000) !== 0;
}

/**
 * The worker (runs in the child): its fd 3 is its end of the AF_UNIX
 * channel. Receives one fd, adopts it as a socket and serves one request.
 */
export function worker(timeout: number): void {
  const channel = socket.socket(undefined, undefined, undefined, 3);
  channel.settimeout(timeout);
  try {
    const [data, fds, flags] = socket.recv_fds(channel, 1024, 1);
    if (fds.length !== 1) throw new Error(`expected one fd, got ${fds.length} (msg_flags ${flags})`);
    const cloexec = isCloexec(fds[0]);
    const conn = socket.socket(undefined, undefined, undefined, fds[0]); // adopts: conn.close() closes it
    try {
      conn.settimeout(timeout);
      const request = conn.recv(1024).toString();
      conn.sendall(Buffer.from(`worker ${process.pid} served ${JSON.stringify(request)}`));
      const report: WorkerReport = {
        pid: process.pid,
        message: data.toString(),
        fds: fds.length,
        msg_flags: flags,
        cloexec,
        family: conn.family,
        type: conn.type,
        peer: conn.getpeername(),
        request,
      };
      writeSync(1, JSON.stringify(report) + '\n');
    } finally {
      conn.close();
    }
  } finally {
    channel.close();
  }
}

/**
 * Runs this file again in a child node process (tsx's loader strips the
 * types) as `<file> worker <timeout>`, with `fd` as the child's fd 3.
 */
function runWorker(timeout: number, fd: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', here, 'worker', String(timeout)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit', fd],
  });
}

/** The parent: accepts a connection, hands it to a worker process, plays the client. */
export async function main(options: PassFdOptions = {}): Promise<PassFdResult> {
  const { timeout = 5, log = console.log } = options;
  const [parentEnd, childEnd] = socket.socketpair(); // AF_UNIX, SOCK_STREAM
  const opened: socket.Socket[] = [parentEnd, childEnd];
  let child: ChildProcess | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  try {
    const c = (child = runWorker(timeout, childEnd.fileno()));
    let stdout = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => c.on('close', (code) => resolve(code)));
    watchdog = setTimeout(() => c.kill('SIGKILL'), (4 * timeout + 20) * 1000);
    childEnd.close(); // the worker holds its own copy as its fd 3
    log(`parent ${process.pid}: worker ${c.pid} started, channel = AF_UNIX socketpair`);

    const listener = socket.create_server(['127.0.0.1', 0]);
    opened.push(listener);
    listener.settimeout(timeout);
    const client = socket.create_connection(listener.getsockname() as [string, number], timeout);
    opened.push(client);
    const [conn, peer] = listener.accept();
    opened.push(conn);
    log(`parent: accepted a connection from ${JSON.stringify(peer)} (fd ${conn.fileno()})`);

    parentEnd.settimeout(timeout);
    socket.send_fds(parentEnd, [Buffer.from('serve this client')], [conn.fileno()]);
    conn.close(); // the worker serves it now; the message in flight holds the description
    log('parent: handed the connection to the worker with send_fds and closed its own copy');

    client.sendall(Buffer.from('GET /hello'));
    const parts: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const d = client.recv(4096); // timeout mode: at most `timeout` seconds
      if (d.length === 0) break; // the worker closed the only remaining copy
      parts.push(d);
    }
    const reply = Buffer.concat(parts).toString();
    log(`client: got ${JSON.stringify(reply)}, then end of stream`);

    const workerExit = await exited;
    const lines = stdout.trim().split('\n');
    const report = JSON.parse(lines[lines.length - 1]) as WorkerReport;
    log(
      `worker ${report.pid}: fd arrived close-on-exec=${report.cloexec}, family ${report.family}, type ${report.type}, peer ${JSON.stringify(report.peer)}`,
    );
    return { parentPid: process.pid, reply, client: peer, worker: report, workerExit };
  } finally {
    if (watchdog) clearTimeout(watchdog);
    for (const s of opened) s.close();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Whether this file is the program being run (not imported). */
function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  if (process.argv[2] === 'worker') worker(Number(process.argv[3]));
  else await main();
}
