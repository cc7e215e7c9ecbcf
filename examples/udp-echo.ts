/**
 * UDP echo on 127.0.0.1 with timeouts: the server runs in a child process,
 * the client here; both sockets are in timeout mode, so no call waits longer
 * than its timeout.
 *
 * Run from the repository root (tsx, a dev dependency, runs the TypeScript
 * as it is; the package itself comes from dist/, built by `npm ci`):
 *
 *   npx tsx examples/udp-echo.ts
 *
 * The server is this same file, started again by the client in a child
 * process (`node --import tsx`) with the arguments `serve <count> <idle>`.
 *
 * Bounded: the server stops after `count` datagrams or after `idle` seconds
 * without one; the client waits at most `timeout` seconds per reply and
 * retries at most `attempts` times; the child is killed if it outlives a
 * watchdog. At the end the client shows a receive timing out: the server is
 * gone, so `recvfrom` raises `socket.timeout` (TimeoutError('timed out')).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as socket from 'sockmode';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..');

export interface EchoOptions {
  /** Datagrams the client sends and the server serves (default 3). */
  count?: number;
  /** The client's timeout per reply, seconds (default 0.5). */
  timeout?: number;
  /** The server stops after this many seconds without a datagram (default 2). */
  idle?: number;
  /** Sends per datagram before giving up (default 3). */
  attempts?: number;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

export interface EchoResult {
  server: [string, number];
  client: [string, number];
  replies: { sent: string; got: string; from: socket.SockAddress | null; seconds: number }[];
  /** What the server reported: datagrams served and why it stopped. */
  served: { count: number; stopped: 'count' | 'idle' };
  /** The last receive, after the server stopped. */
  finalReceive: { error: string; message: string; seconds: number };
  serverExit: number | null;
}

/**
 * The server (runs in the child): echoes each datagram to its sender, at most
 * `count` of them, and gives up after `idle` seconds of silence. Its address
 * and its summary go to stdout as JSON lines; the summary is also returned.
 */
export function serve(count: number, idle: number): { served: number; stopped: 'count' | 'idle' } {
  const out = (o: unknown) => writeSync(1, JSON.stringify(o) + '\n');
  const server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  try {
    server.bind(['127.0.0.1', 0]);
    server.settimeout(idle);
    out({ listening: server.getsockname() });
    let served = 0;
    let stopped: 'count' | 'idle' = 'count';
    while (served < count) {
      let data: Buffer;
      let from: socket.SockAddress | null;
      try {
        [data, from] = server.recvfrom(2048);
      } catch (e) {
        if (e instanceof socket.timeout) {
          stopped = 'idle';
          break;
        }
        throw e;
      }
      server.sendto(data, from as socket.Address);
      served++;
    }
    out({ served, stopped });
    return { served, stopped };
  } finally {
    server.close();
  }
}

/** Runs this file again in a child node process (tsx's loader strips the types): `<file> serve <count> <idle>`. */
function runServer(count: number, idle: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', here, 'serve', String(count), String(idle)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Yields the child's stdout line by line. */
function lineReader(child: ChildProcess): () => Promise<string> {
  let buf = '';
  const lines: string[] = [];
  const waiters: [(l: string) => void, (e: Error) => void][] = [];
  let ended = false;
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w[0](line);
      else lines.push(line);
    }
  });
  child.stdout!.on('end', () => {
    ended = true;
    for (const [, reject] of waiters.splice(0)) reject(new Error('the server ended without answering'));
  });
  return () =>
    new Promise((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) resolve(l);
      else if (ended) reject(new Error('the server ended without answering'));
      else waiters.push([resolve, reject]);
    });
}

/** The client: starts the server, sends `count` pings, checks each echo, shows a timeout. */
export async function main(options: EchoOptions = {}): Promise<EchoResult> {
  const { count = 3, timeout = 0.5, idle = 2, attempts = 3, log = console.log } = options;
  const child = runServer(count, idle);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), (idle + count * attempts * timeout + 20) * 1000);
  const nextLine = lineReader(child);
  const client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  try {
    const server = (JSON.parse(await nextLine()) as { listening: [string, number] }).listening;
    log(`server listening on ${server[0]}:${server[1]} (stops after ${count} datagrams or ${idle} s idle)`);
    client.bind(['127.0.0.1', 0]);
    client.settimeout(timeout);
    log(`client on ${(client.getsockname() as [string, number]).join(':')}, timeout ${client.gettimeout()} s`);

    const replies: EchoResult['replies'] = [];
    for (let i = 0; i < count; i++) {
      const sent = `ping ${i}`;
      for (let attempt = 1; ; attempt++) {
        const t0 = performance.now();
        client.sendto(Buffer.from(sent), server);
        try {
          const [data, from] = client.recvfrom(2048);
          const seconds = (performance.now() - t0) / 1000;
          replies.push({ sent, got: data.toString(), from, seconds });
          log(
            `sent ${JSON.stringify(sent)}, got ${JSON.stringify(data.toString())} from ${JSON.stringify(from)} in ${(seconds * 1000).toFixed(2)} ms`,
          );
          break;
        } catch (e) {
          if (!(e instanceof socket.timeout) || attempt >= attempts) throw e;
          log(`no reply to ${JSON.stringify(sent)} within ${timeout} s: sending again`);
        }
      }
    }

    const summary = JSON.parse(await nextLine()) as { served: number; stopped: 'count' | 'idle' };
    const served = { count: summary.served, stopped: summary.stopped };
    log(
      `server served ${served.count} datagrams and stopped (${served.stopped === 'count' ? 'count reached' : 'idle'})`,
    );

    // Nobody answers any more: the receive gives up after the timeout.
    const t0 = performance.now();
    let finalReceive: EchoResult['finalReceive'];
    try {
      client.recvfrom(2048);
      throw new Error('a reply arrived after the server stopped');
    } catch (e) {
      if (!(e instanceof socket.timeout)) throw e;
      finalReceive = { error: e.name, message: e.message, seconds: (performance.now() - t0) / 1000 };
    }
    log(
      `one more recvfrom: ${finalReceive.error}('${finalReceive.message}') after ${finalReceive.seconds.toFixed(3)} s`,
    );

    const serverExit = await exited;
    return {
      server,
      client: client.getsockname() as [string, number],
      replies,
      served,
      finalReceive,
      serverExit,
    };
  } finally {
    clearTimeout(watchdog);
    client.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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
  if (process.argv[2] === 'serve') serve(Number(process.argv[3]), Number(process.argv[4]));
  else await main();
}
