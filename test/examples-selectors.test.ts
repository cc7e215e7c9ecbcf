// examples/selector-echo.ts: a selector-based echo server serving many clients
// from one thread with non-blocking sockets. Runs the command its header
// documents (`npx tsx examples/selector-echo.ts 50`, in a child process group
// under a watchdog) and the exported main() in process, and checks every
// client got its own bytes back: the echoed bytes' hash is compared with the
// hash of that client's payload, computed here.
//
// The example imports the package as a user does ('sockmode', the built dist/).
// This file imports nothing from lib/ (helpers.ts does): the addon is loaded
// once per process and the last copy of the error classes to load registers
// the error factory, so a second copy would break the example's instanceof.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, payload, type EchoResult } from '../examples/selector-echo.js';
import { fdCount, headerCommand, run } from './fixtures/examples.js';

let fdsBefore = 0;
beforeEach(() => {
  fdsBefore = fdCount();
});
afterEach(() => {
  expect(fdCount()).toBe(fdsBefore); // everything the example opened was closed
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every client got exactly its own payload back. */
function expectEchoed(r: EchoResult, clients: number, size: number) {
  expect(r.clients).toBe(clients);
  expect(r.served).toBe(clients);
  expect(r.results.map((c) => c.client)).toEqual([...Array(clients).keys()]);
  for (const c of r.results) {
    const own = sha256(payload(c.client, size));
    expect([c.client, c.sent, c.received, c.receivedSha256]).toEqual([c.client, size, size, own]);
    expect(c.ok).toBe(true);
  }
  if (size > 0) expect(new Set(r.results.map((c) => c.receivedSha256)).size).toBe(clients); // all different
  expect(r.ok).toBe(true);
}

describe('examples/selector-echo.ts', () => {
  it('the command in its header runs it: 50 clients, each gets its own bytes back', { timeout: 150_000 }, async () => {
    const command = headerCommand('selector-echo.ts');
    expect(command).toBe('npx tsx examples/selector-echo.ts 50');
    const r = await run(`${command} --json`, 120_000);
    expect(r.killed, 'killed by the watchdog').toBe(false);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]) as EchoResult;
    expectEchoed(result, 50, 200_000);
    expect(result.maxOpen).toBeGreaterThan(1); // clients were served concurrently
    expect(result.seconds).toBeLessThan(15);
  });

  it('main() serves 30 clients of 300 kB from one thread and closes everything it opened', () => {
    const t0 = performance.now();
    const r = main({ clients: 30, size: 300_000, timeout: 10 });
    expect((performance.now() - t0) / 1000).toBeLessThan(11);
    expectEchoed(r, 30, 300_000);
    expect(r.maxOpen).toBeGreaterThan(1);
  });

  it('main() with empty payloads: each client gets EOF back', () => {
    expectEchoed(main({ clients: 3, size: 0, timeout: 5 }), 3, 0);
  });
});
