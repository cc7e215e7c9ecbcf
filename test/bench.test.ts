// `sockmode bench --quick --json`: the shape of the report (never its speed,
// which the benchmark itself measures as same-run ratios).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../lib/bench.js';
import { root } from './helpers.js';

describe('sockmode bench --quick --json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockmode-bench-'));
  const svg = join(dir, 'ratios.svg');
  let status: number | null = null;
  let report: BenchReport;
  let stderr = '';
  beforeAll(() => {
    const r = spawnSync(
      process.execPath,
      [join(root, 'bin', 'sockmode.js'), 'bench', '--quick', '--json', '--svg', svg],
      {
        encoding: 'utf8',
        timeout: 120_000,
        killSignal: 'SIGKILL',
      },
    );
    status = r.status;
    stderr = r.stderr;
    report = JSON.parse(r.stdout) as BenchReport;
  }, 130_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0, names the machine and prints progress on stderr', () => {
    expect(status).toBe(0);
    expect(report.quick).toBe(true);
    for (const key of ['cpu', 'cpus', 'kernel', 'node', 'python', 'pinned']) expect(report.machine).toHaveProperty(key);
    expect(report.machine.node).toBe(process.version);
    expect(stderr).toMatch(/round \d+\/\d+/);
  });

  it('has every row, each with the C floor at ratio 1 and every contender measured', () => {
    const names = report.rows.map((r) => r.name);
    for (const want of [
      'ping-pong 1 B, socketpair',
      'ping-pong 64 B, socketpair',
      'ping-pong 1 B, tcp',
      'ping-pong 64 B, tcp',
      'bulk recv_into 64 KiB, tcp',
      'bulk recv_into 256 KiB, tcp',
      'bulk recv_into 64 KiB, socketpair',
      'bulk recv_into 256 KiB, socketpair',
      'connect + accept + close, tcp',
    ]) {
      const row = report.rows.find((r) => r.name === want);
      expect(row, want).toBeDefined();
      const floor = row!.results.find((x) => x.contender === 'C floor')!;
      expect(floor.ratio).toBe(1);
      for (const x of row!.results) {
        expect(x.samples.length).toBeGreaterThanOrEqual(3);
        expect(x.median).toBeGreaterThan(0);
        expect(x.min).toBeLessThanOrEqual(x.median);
        expect(x.max).toBeGreaterThanOrEqual(x.median);
        expect(x.ratio).toBeCloseTo(x.median / floor.median, 10);
      }
    }
    for (const c of [
      'sockmode blocking',
      'sockmode timeout',
      'sockmode select',
      'sockmode loop',
      'node:net',
      'node:net tuned',
    ]) {
      expect(report.rows.find((r) => r.name === 'ping-pong 1 B, tcp')!.results.map((x) => x.contender)).toContain(c);
    }
    expect(names.filter((n) => n.startsWith('selector scale'))).toHaveLength(2);
  });

  it('measures the selectors at 10 to 10,000 fds against their own cost at 10', () => {
    for (const row of report.rows.filter((r) => r.name.startsWith('selector scale'))) {
      expect(row.results.map((x) => x.contender)).toEqual(['10 fds', '100 fds', '1000 fds', '10000 fds']);
      expect(row.results[0].ratio).toBe(1);
    }
  });

  it('checks every target against its row', () => {
    const kinds = new Set(report.targets.map((t) => t.target));
    expect(kinds.size).toBe(7);
    for (const t of report.targets) {
      expect(report.rows.map((r) => r.name)).toContain(t.row);
      expect(t.met).toBe(t.measured <= t.limit);
    }
  });

  it('writes the SVG bar chart', () => {
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect((text.match(/<rect /g) ?? []).length).toBe(report.rows.reduce((n, r) => n + r.results.length, 0));
  });
});

describe('sockmode bench usage', () => {
  it('rejects an unknown option with status 2', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'sockmode.js'), 'bench', '--nope'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage');
  });
});
