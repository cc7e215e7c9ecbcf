// SEMANTICS §1: one number decides the mode; the setters store, then issue one
// ioctl(FIONBIO) every time; the object never reads the flag back.
import { afterEach, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { fdNonBlocking, outcome, python, observe } from './helpers.js';

afterEach(() => socket.setdefaulttimeout(null));

/** The mode triple after settimeout(v): [gettimeout, getblocking, fd O_NONBLOCK]. */
function triple(s: socket.Socket): [number | null, boolean, boolean] {
  return [s.gettimeout(), s.getblocking(), fdNonBlocking(s.fileno())];
}

describe('mode state table', () => {
  it('matches CPython for null, 0, and timeouts, via settimeout and setblocking', () => {
    const steps: [string, unknown][] = [
      ['settimeout', null],
      ['settimeout', 0],
      ['settimeout', 2.5],
      ['setblocking', true],
      ['settimeout', 1e-10],
      ['setblocking', false],
      ['settimeout', 0.3],
      ['settimeout', 1 / 3],
    ];
    const py = python(
      `
s = socket.socket()
out = [[s.gettimeout(), s.getblocking(), not os.get_blocking(s.fileno())]]
for name, v in arg:
    getattr(s, name)(v)
    out.append([s.gettimeout(), s.getblocking(), not os.get_blocking(s.fileno())])
s.close()
return out`,
      steps,
    );
    using s = socket.socket();
    const ours: unknown[] = [triple(s)];
    for (const [name, v] of steps) {
      (s as any)[name](v);
      ours.push(triple(s));
    }
    expect(ours).toEqual(py);
    // the rows of the table, spelled out
    expect(ours[0]).toEqual([null, true, false]);
    expect(ours[2]).toEqual([0, false, true]);
    expect(ours[3]).toEqual([2.5, true, true]);
    expect(ours[5]).toEqual([1e-9, true, true]); // 1e-10 rounds up to 1 ns: timeout mode, not non-blocking
  });

  it('timeout is a read-only property equal to gettimeout()', () => {
    using s = socket.socket();
    s.settimeout(4);
    expect(s.timeout).toBe(4);
    expect(() => {
      (s as any).timeout = 1;
    }).toThrow(TypeError);
    expect(s.gettimeout()).toBe(4);
  });

  it('the setter writes the flag every time, even when the object already says so', () => {
    using s = socket.socket();
    s.setblocking(false);
    socket.set_blocking(s.fileno(), true); // another holder clears O_NONBLOCK
    expect(s.getblocking()).toBe(false); // never read back
    s.setblocking(false); // same value: still one ioctl
    expect(fdNonBlocking(s.fileno())).toBe(true);
  });
});

describe('timeout values', () => {
  const values: [string, unknown][] = [
    ['-1', -1],
    ['-1e-10', -1e-10],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['1e10', 1e10],
    ['9.2e9', 9.2e9],
    ['string', '1'],
    ['0.3', 0.3],
  ];
  it.each(values)('settimeout(%s) raises what CPython raises and keeps the old value', (_, v) => {
    const pyv = typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
    const [py, after] = python(
      `
s = socket.socket()
s.settimeout(7)
v = arg
if v in ("NaN", "Infinity", "-Infinity"):
    v = float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[v])
elif isinstance(v, int):
    v = float(v)  # a JS number is a double
o = observe(lambda: s.settimeout(v))
after = s.gettimeout()
s.close()
return [o, after]`,
      pyv,
    );
    using s = socket.socket();
    s.settimeout(7);
    const o = outcome(observe(() => s.settimeout(v as number)));
    // Python's TypeError text names Python's types; the class is what counts.
    if (py.error === 'TypeError') expect(o.error).toBe('TypeError');
    else expect(o).toEqual(outcome(py));
    expect(s.gettimeout()).toBe(after);
  });

  it('undefined, booleans, bigint and objects are TypeErrors', () => {
    using s = socket.socket();
    for (const v of [undefined, true, 1n, {}, [1]]) {
      expect(() => s.settimeout(v as any)).toThrow(TypeError);
      expect(() => socket.setdefaulttimeout(v as any)).toThrow(TypeError);
    }
    expect(() => s.setblocking(null as any)).toThrow(TypeError);
    expect(() => s.setblocking(1 as any)).toThrow(TypeError);
    expect(s.gettimeout()).toBe(null);
  });

  it('setdefaulttimeout uses the same parser and keeps the old value on failure', () => {
    socket.setdefaulttimeout(3);
    expect(() => socket.setdefaulttimeout(-1)).toThrow(new RangeError('Timeout value out of range'));
    expect(() => socket.setdefaulttimeout(NaN)).toThrow(new RangeError('Invalid value NaN (not a number)'));
    expect(socket.getdefaulttimeout()).toBe(3);
  });

  it('a setter on a closed socket stores the value, then raises EBADF', () => {
    const py = python(`
s = socket.socket(); s.close()
o = observe(lambda: s.settimeout(1.5))
return [o, s.gettimeout()]`);
    const s = socket.socket();
    s.close();
    const o = observe(() => s.settimeout(1.5));
    expect([outcome(o), s.gettimeout()]).toEqual([outcome(py[0]), py[1]]);
    expect(o.errno).toBe(9);
  });
});
