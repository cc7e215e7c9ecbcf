// The examples run: examples/udp-echo.ts (a UDP echo pair with timeouts on
// 127.0.0.1) and examples/pass-fd.ts (a connected socket handed to a child
// process with send_fds and served there). Each is run twice: through its
// exported main() in this process, and through the one command its header
// names (`npx tsx examples/<file>.ts`), in a child process group under a
// watchdog.
//
// The examples import the package as users do ('sockmode': dist/). So does
// this file, and it imports nothing from lib/ (test/helpers.ts does): the
// addon is loaded once per process and the copy of the JS layer loaded last
// registers the error factory, so a second copy would break the examples'
// `instanceof socket.timeout`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as socket from 'sockmode';
import { main as passFd } from '../examples/pass-fd.js';
import { serve, main as udpEcho } from '../examples/udp-echo.js';
import { exampleStderr, fdCount, headerCommand, run } from './fixtures/examples.js';

let fdsBefore = 0;
beforeEach(() => {
  fdsBefore = fdCount();
});
afterEach(() => {
  expect(fdCount()).toBe(fdsBefore); // the example closed every socket it opened
});

it('one copy of the JS layer: the errors the addon raises are the classes the examples test against', () => {
  const [a, b] = socket.socketpair();
  try {
    a.settimeout(0.01);
    expect(() => a.recv(1)).toThrow(socket.timeout);
    a.setblocking(false);
    expect(() => a.recv(1)).toThrow(socket.BlockingIOError);
  } finally {
    a.close();
    b.close();
  }
});

/** Runs the command in the header of examples/<file>. */
async function runHeader(file: string) {
  const command = headerCommand(file);
  expect(command).toBe(`npx tsx examples/${file}`);
  const r = await run(command, 60_000);
  expect(r.killed, 'killed by the watchdog').toBe(false);
  return r;
}

describe('examples/udp-echo.ts', () => {
  it('main(): every ping comes back from the server address, the server stops after N, the last receive times out', async () => {
    const lines: string[] = [];
    const timeout = 0.3;
    const r = await udpEcho({ count: 4, timeout, idle: 3, log: (l) => lines.push(l) });
    expect(r.server[0]).toBe('127.0.0.1');
    expect(r.client[0]).toBe('127.0.0.1');
    expect(r.replies.map((x) => x.got)).toEqual(['ping 0', 'ping 1', 'ping 2', 'ping 3']);
    for (const x of r.replies) {
      expect(x.got).toBe(x.sent);
      expect(x.from).toEqual(r.server);
      expect(x.seconds).toBeLessThan(timeout); // answered within the timeout
    }
    expect(r.served).toEqual({ count: 4, stopped: 'count' });
    expect(r.finalReceive).toMatchObject({ error: 'TimeoutError', message: 'timed out' });
    expect(r.finalReceive.seconds).toBeGreaterThanOrEqual(timeout);
    expect(r.finalReceive.seconds).toBeLessThan(timeout + 2);
    expect(r.serverExit).toBe(0);
    expect(lines.some((l) => l.includes('sent "ping 3", got "ping 3"'))).toBe(true);
    expect(socket.getdefaulttimeout()).toBe(null); // the example did not change the process default
  });

  it('serve(): a server with nobody to serve stops after its idle timeout', () => {
    const t0 = performance.now();
    const r = serve(5, 0.3); // timeout mode: bounded
    const seconds = (performance.now() - t0) / 1000;
    expect(r).toEqual({ served: 0, stopped: 'idle' });
    expect(seconds).toBeGreaterThanOrEqual(0.3);
    expect(seconds).toBeLessThan(0.3 + 2);
  });

  it('the command in its header runs it', { timeout: 90_000 }, async () => {
    const r = await runHeader('udp-echo.ts');
    expect(exampleStderr(r.stderr)).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    const server = /server listening on 127\.0\.0\.1:(\d+)/.exec(out);
    expect(server).not.toBe(null);
    for (let i = 0; i < 3; i++) {
      expect(out).toContain(`sent "ping ${i}", got "ping ${i}" from ["127.0.0.1",${server![1]}]`);
    }
    expect(out).toContain('server served 3 datagrams and stopped (count reached)');
    const last = /one more recvfrom: TimeoutError\('timed out'\) after ([\d.]+) s/.exec(out);
    expect(last).not.toBe(null);
    expect(Number(last![1])).toBeGreaterThanOrEqual(0.5);
    expect(Number(last![1])).toBeLessThan(0.5 + 2);
  });
});

describe('examples/pass-fd.ts', () => {
  it('main(): the worker process receives the connection close-on-exec, adopts it and answers the client', async () => {
    const lines: string[] = [];
    const r = await passFd({ timeout: 5, log: (l) => lines.push(l) });
    expect(r.workerExit).toBe(0);
    expect(r.worker.pid).not.toBe(r.parentPid);
    expect(r.reply).toBe(`worker ${r.worker.pid} served "GET /hello"`);
    expect(r.worker).toMatchObject({
      message: 'serve this client',
      fds: 1,
      msg_flags: 0,
      cloexec: true,
      family: socket.AF_INET,
      type: socket.SOCK_STREAM,
      request: 'GET /hello',
    });
    expect(r.worker.peer).toEqual(r.client); // the worker's socket is the accepted connection
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });

  it('the command in its header runs it', { timeout: 90_000 }, async () => {
    const r = await runHeader('pass-fd.ts');
    expect(exampleStderr(r.stderr)).toBe('');
    expect(r.status).toBe(0);
    const worker = /worker (\d+) started/.exec(r.stdout);
    expect(worker).not.toBe(null);
    expect(r.stdout).toContain(`client: got "worker ${worker![1]} served \\"GET /hello\\"", then end of stream`);
    expect(r.stdout).toMatch(/fd arrived close-on-exec=true, family 2, type 1/);
  });
});
