// The main job: `sockmode demo` runs all nine seed scenarios on loopback with
// the outcomes the issue names, in under 15 s at its default timeout.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult, StepResult } from '../lib/demo.js';
import { root } from './helpers.js';

function demo(args: string[], timeoutMs = 30_000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'sockmode.js'), 'demo', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

const T = 0.3;

describe('sockmode demo --json', () => {
  let run: ReturnType<typeof demo>;
  let results: ScenarioResult[] = [];
  let byName = new Map<string, ScenarioResult>();
  beforeAll(() => {
    run = demo(['--json', '--timeout', String(T)]);
    results = JSON.parse(run.stdout) as ScenarioResult[];
    byName = new Map(results.map((r) => [r.name, r]));
  });
  const steps = (name: string): StepResult[] => byName.get(name)?.steps ?? [];
  const timedOut = (s: StepResult | undefined) => {
    expect(s).toMatchObject({ ok: false, error: 'TimeoutError', errno: null, message: 'timed out' });
    expect(s!.elapsed).toBeGreaterThanOrEqual(T);
    expect(s!.elapsed).toBeLessThan(T + 2);
  };

  it('exits 0 and runs the nine seed scenarios in order, then select and loop', () => {
    expect(run.status).toBe(0);
    expect(results.map((r) => r.name)).toEqual([
      'modes',
      'refused',
      'connect-timeout',
      'default-timeout',
      'connect-blocking',
      'accept-timeout',
      'recv-timeout',
      'nonblocking-recv',
      'shared',
      'select',
      'loop',
    ]);
  });

  it('1. shows the three modes as the object and the fd report them', () => {
    const modes = steps('modes').map((s) => s.mode);
    expect(modes).toContainEqual({ gettimeout: null, getblocking: true, O_NONBLOCK: false });
    expect(modes).toContainEqual({ gettimeout: 0, getblocking: false, O_NONBLOCK: true });
    expect(modes).toContainEqual({ gettimeout: T, getblocking: true, O_NONBLOCK: true });
  });

  it('2. a bound port that is not listening refuses at once', () => {
    const [s] = steps('refused');
    expect(s).toMatchObject({ ok: false, error: 'ConnectionRefusedError', errno: 111 });
    expect(s.elapsed).toBeLessThan(T);
  });

  it('3. and 4. connect times out after t, by settimeout and by setdefaulttimeout', () => {
    timedOut(steps('connect-timeout')[0]);
    const [created, connect] = steps('default-timeout');
    expect(created.value).toBe(T);
    timedOut(connect);
  });

  it('5. with no timeout, connect is still blocked when the watchdog fires', () => {
    const [s] = steps('connect-blocking');
    expect(s).toMatchObject({ ok: false, error: 'blocked' });
    expect(s.elapsed).toBeGreaterThanOrEqual(2 * T);
  });

  it('6. accept times out; an accepted socket is blocking without a default, in timeout mode with one', () => {
    const [acc, plain, withDefault] = steps('accept-timeout');
    timedOut(acc);
    expect(plain.value).toEqual({ gettimeout: null, getblocking: true, O_NONBLOCK: false });
    expect(withDefault.value).toEqual({ gettimeout: T, getblocking: true, O_NONBLOCK: true });
  });

  it('7. recv from a silent peer times out', () => {
    timedOut(steps('recv-timeout')[0]);
  });

  it('8. non-blocking recv raises BlockingIOError, then select reports readiness and recv reads', () => {
    const [first, sel, read] = steps('nonblocking-recv');
    expect(first).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
    expect(sel).toMatchObject({ ok: true, value: 1 });
    expect(read).toMatchObject({ ok: true, value: 'hello' });
  });

  it('9. a dup or a net.Socket makes the shared description non-blocking under a blocking object', () => {
    const s = steps('shared');
    const recvs = s.filter((x) => x.action === 's.recv(1024)');
    expect(recvs).toHaveLength(2);
    for (const r of recvs) {
      expect(r).toMatchObject({ ok: false, error: 'BlockingIOError', errno: 11 });
      expect(r.mode).toEqual({ gettimeout: null, getblocking: true, O_NONBLOCK: true });
    }
  });

  it('10. select() and DefaultSelector report exactly the sockets another thread wrote to', () => {
    const [sel, selector] = steps('select');
    expect(sel).toMatchObject({ ok: true, value: ['b'] });
    expect(sel.elapsed).toBeLessThan(T);
    expect(selector).toMatchObject({ ok: true, value: ['a', 'c'] });
  });

  it('11. loop.sock_recv resolves after the peer sends, while timers kept firing', () => {
    const [s] = steps('loop');
    expect(s.ok).toBe(true);
    const v = s.value as { data: string; timer_ticks: number };
    expect(v.data).toBe('hello');
    expect(v.timer_ticks).toBeGreaterThan(3);
    expect(s.elapsed).toBeGreaterThanOrEqual(T / 2 - 0.005);
  });
});

describe('sockmode demo', () => {
  it('prints the table for every scenario in under 15 s at the default timeout', () => {
    const run = demo([]);
    expect(run.status).toBe(0);
    expect(run.seconds).toBeLessThan(15);
    for (const name of ['modes', 'refused', 'connect-timeout', 'shared']) expect(run.stdout).toContain(name);
    expect(run.stdout).toContain('TimeoutError: timed out');
    expect(run.stdout).toMatch(/all \d+ scenarios behaved as expected/);
  });

  it('runs one scenario by name and rejects unknown names with status 2', () => {
    const one = demo(['--json', 'refused']);
    expect(JSON.parse(one.stdout).map((r: ScenarioResult) => r.name)).toEqual(['refused']);
    const bad = demo(['nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown scenario');
  });
});
