// examples/async-echo.ts: an async echo server and its clients on loop.sock_*
// only, serving many connections at once. Runs the command its header
// documents (`npx tsx examples/async-echo.ts 50`, in a child process group
// under a watchdog) and the exported main() in process, and checks every
// client got exactly its own bytes back: the echoed bytes' hash is compared
// with the hash of that client's payload, computed here, and the payloads all
// differ.
//
// The example imports the package as users do ('sockmode': dist/); this file
// imports nothing from lib/ (test/helpers.ts does), so the process holds one
// copy of the JS layer over the addon.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, payload, type EchoResult } from '../examples/async-echo.js';
import { fdCount, headerCommand, root, run } from './fixtures/examples.js';

let fdsBefore = 0;
beforeEach(() => {
  fdsBefore = fdCount();
});
afterEach(() => {
  expect(fdCount()).toBe(fdsBefore); // everything the example opened was closed
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const source = readFileSync(join(root, 'examples', 'async-echo.ts'), 'utf8');

/** Every client got exactly its own payload back. */
function expectEchoed(r: EchoResult, clients: number, size: number) {
  expect(r.clients).toBe(clients);
  expect(r.served).toBe(clients);
  expect(r.results.map((c) => c.client)).toEqual([...Array(clients).keys()]);
  for (const c of r.results) {
    const own = sha256(payload(c.client, size));
    expect(own).toBe(c.sentSha256);
    expect([c.client, c.sent, c.received, c.receivedSha256, c.error]).toEqual([c.client, size, size, own, undefined]);
    expect(c.ok).toBe(true);
  }
  if (size > 0) expect(new Set(r.results.map((c) => c.receivedSha256)).size).toBe(clients); // all different
  expect(r.ok).toBe(true);
}

/** A bound on a Promise: main() must not be able to hang the test. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`main() did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

describe('examples/async-echo.ts', () => {
  it('uses only loop.sock_* for its I/O (no net, no blocking calls)', () => {
    const code = source.replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/from 'node:net'|\.(recv|send|sendall|accept|connect|recv_into)\(/);
    for (const f of ['sock_accept', 'sock_connect', 'sock_recv', 'sock_sendall']) expect(code).toContain(`loop.${f}(`);
  });

  it('the command in its header runs it: 50 clients, each gets its own bytes back', { timeout: 150_000 }, async () => {
    const command = headerCommand('async-echo.ts');
    expect(command).toBe('npx tsx examples/async-echo.ts 50');
    const r = await run(`${command} --json`, 120_000);
    expect(r.killed, 'killed by the watchdog').toBe(false);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]) as EchoResult;
    expectEchoed(result, 50, 200_000);
    expect(result.maxOpen).toBeGreaterThan(1); // connections were served concurrently
    expect(result.seconds).toBeLessThan(15);
  });

  it('main() serves 100 clients of 300 kB at once and closes everything it opened', async () => {
    const t0 = performance.now();
    const r = await bounded(main({ clients: 100, size: 300_000, timeout: 15 }), 20_000);
    expect((performance.now() - t0) / 1000).toBeLessThan(16);
    expectEchoed(r, 100, 300_000);
    expect(r.maxOpen).toBeGreaterThan(1);
  });

  it('main() with empty payloads: each client gets EOF back', async () => {
    expectEchoed(await bounded(main({ clients: 3, size: 0, timeout: 5 }), 10_000), 3, 0);
  });

  it('main() stops at its deadline and reports the failure, closing everything', async () => {
    const t0 = performance.now();
    const r = await bounded(main({ clients: 5, size: 100_000, timeout: 0.001 }), 10_000);
    expect((performance.now() - t0) / 1000).toBeLessThan(5);
    expect(r.ok).toBe(false);
    expect(r.results.some((c) => c.error !== undefined && !c.ok)).toBe(true);
  });
});
