// SEMANTICS §8: address forms and checks for AF_INET, AF_INET6, AF_UNIX.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import { observe, outcome, python } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sockmode-addr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An address as JSON: a Buffer travels as { hex }. */
type Wire = unknown;
function fromWire(v: Wire): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'hex' in v) return Buffer.from((v as any).hex, 'hex');
  return v;
}

const PY_FROM_WIRE = `
def from_wire(v):
    if isinstance(v, dict):
        return bytes.fromhex(v['hex'])
    if isinstance(v, list):
        return tuple(v)
    return v
`;

const families: Record<string, number> = {
  AF_INET: socket.AF_INET,
  AF_INET6: socket.AF_INET6,
  AF_UNIX: socket.AF_UNIX,
};

type Case = [family: string, call: 'bind' | 'connect' | 'connect_ex', address: Wire];

const long108 = 'x'.repeat(108);
const cases: Case[] = [
  // AF_INET
  ['AF_INET', 'bind', 5],
  ['AF_INET', 'bind', '127.0.0.1'],
  ['AF_INET', 'bind', ['127.0.0.1']],
  ['AF_INET', 'bind', ['127.0.0.1', 0, 0]],
  ['AF_INET', 'bind', []],
  ['AF_INET', 'bind', ['127.0.0.1', 70000]],
  ['AF_INET', 'bind', ['127.0.0.1', 65536]],
  ['AF_INET', 'bind', ['127.0.0.1', -1]],
  ['AF_INET', 'connect', ['127.0.0.1', 70000]],
  ['AF_INET', 'connect_ex', ['127.0.0.1', 70000]],
  ['AF_INET', 'connect', 5],
  ['AF_INET', 'bind', ['nonexistent.invalid', 70000]], // host resolved before the port check
  ['AF_INET', 'bind', ['nonexistent.invalid', 0]],
  ['AF_INET', 'connect', ['nonexistent.invalid', 80]],
  ['AF_INET', 'bind', ['::1', 0]],
  ['AF_INET', 'bind', [1, 80]],
  ['AF_INET', 'bind', [null, 80]],
  ['AF_INET', 'bind', ['127.0.0.1', '80']],
  ['AF_INET', 'bind', ['127.0.0.1', 1.5]],
  // AF_INET6
  ['AF_INET6', 'bind', '::1'],
  ['AF_INET6', 'bind', ['::1']],
  ['AF_INET6', 'bind', ['::1', 0, 0, 0, 0]],
  ['AF_INET6', 'bind', ['::1', 70000]],
  ['AF_INET6', 'bind', ['::1', -1, 0, 0]],
  ['AF_INET6', 'bind', ['::1', 0, -1]],
  ['AF_INET6', 'bind', ['::1', 0, 0x100000]],
  ['AF_INET6', 'connect', ['::1', 0, 0x100000]],
  ['AF_INET6', 'bind', ['127.0.0.1', 0]],
  ['AF_INET6', 'bind', ['nonexistent.invalid', 70000]],
  ['AF_INET6', 'bind', [1, 0]],
  // AF_UNIX
  ['AF_UNIX', 'bind', long108],
  ['AF_UNIX', 'bind', 'y'.repeat(200)],
  ['AF_UNIX', 'bind', { hex: Buffer.from(long108).toString('hex') }],
  ['AF_UNIX', 'connect', long108],
  ['AF_UNIX', 'bind', { hex: '00' + Buffer.from('x'.repeat(108)).toString('hex') }],
  ['AF_UNIX', 'bind', 5],
  ['AF_UNIX', 'bind', ['a']],
  ['AF_UNIX', 'connect', join(dir, 'no-such-dir', 'sock')],
];

describe('address checks, differential against CPython', () => {
  let py: any[] = [];
  beforeAll(() => {
    py = python(
      PY_FROM_WIRE +
        `
out = []
for fam, call, addr in arg:
    s = socket.socket(getattr(socket, fam), socket.SOCK_STREAM)
    s.settimeout(2)
    out.append(observe(lambda: getattr(s, call)(from_wire(addr))))
    s.close()
return out`,
      cases,
    );
  });

  it.each(cases.map((c, i) => [i, JSON.stringify(c).slice(0, 90), c] as const))(
    'case %i: %s',
    (i, _, [fam, call, addr]) => {
      using s = socket.socket(families[fam], socket.SOCK_STREAM);
      s.settimeout(2);
      const o = outcome(observe(() => (s as any)[call](fromWire(addr))));
      const p = outcome(py[i]);
      expect(o.ok).toBe(false);
      if (p.error === 'TypeError') expect(o.error).toBe('TypeError');
      else expect(o).toEqual(p);
    },
  );
});

describe('address checks, the contract spelled out', () => {
  it('not an array: TypeError naming the call; wrong length: TypeError', () => {
    using s = socket.socket();
    expect(() => s.bind(5 as any)).toThrow(TypeError);
    expect(() => s.bind('127.0.0.1' as any)).toThrow(/^bind\(\): AF_INET address must be tuple, not /);
    expect(() => s.connect('127.0.0.1' as any)).toThrow(/^connect\(\): AF_INET address must be tuple, not /);
    expect(() => s.bind(['127.0.0.1'] as any)).toThrow(new TypeError('AF_INET address must be a pair (host, port)'));
    expect(() => s.bind(['127.0.0.1', 0, 0] as any)).toThrow(TypeError);
    expect(() => s.bind([5, 0] as any)).toThrow(TypeError); // host not a string
  });

  it('port out of range: RangeError naming the call, checked after the host resolves', () => {
    using s = socket.socket();
    for (const port of [-1, 65536, 70000]) {
      expect(() => s.bind(['127.0.0.1', port])).toThrow(new RangeError('bind(): port must be 0-65535.'));
      expect(() => s.connect(['127.0.0.1', port])).toThrow(new RangeError('connect(): port must be 0-65535.'));
      expect(() => s.connect_ex(['127.0.0.1', port])).toThrow(new RangeError('connect_ex(): port must be 0-65535.'));
    }
    expect(() => s.bind(['nonexistent.invalid', 70000])).toThrow(socket.gaierror);
    expect(s.getsockname()).toEqual(['0.0.0.0', 0]); // nothing was bound
  });

  it('AF_INET6 flowinfo out of range: RangeError', () => {
    using s = socket.socket(socket.AF_INET6);
    for (const f of [-1, 0x100000]) {
      expect(() => s.bind(['::1', 0, f])).toThrow(new RangeError('bind(): flowinfo must be 0-1048575.'));
    }
  });

  it('a name that does not resolve is a gaierror with the EAI number', () => {
    using s = socket.socket();
    let err: any;
    try {
      s.connect(['nonexistent.invalid', 80]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(socket.gaierror);
    expect(err.errno).toBe(socket.EAI_NONAME);
    expect(() => socket.create_connection(['nonexistent.invalid', 80], 2)).toThrow(socket.gaierror);
  });

  it('AF_UNIX path of 108 bytes or more: OSError("AF_UNIX path too long") with errno null', () => {
    using s = socket.socket(socket.AF_UNIX);
    for (const a of [long108, Buffer.from(long108), 'é'.repeat(54) /* 108 UTF-8 bytes */]) {
      let err: any;
      try {
        s.bind(a);
      } catch (e) {
        err = e;
      }
      expect(err?.constructor).toBe(socket.OSError);
      expect(err.message).toBe('AF_UNIX path too long');
      expect(err.errno).toBeNull();
      expect(err.strerror).toBeNull();
      expect(err.code).toBeUndefined();
    }
  });
});

describe('address forms', () => {
  it("AF_INET: [host, port], '' is INADDR_ANY, 'localhost' resolves, differential", () => {
    const py = python(`
out = []
for host in ['127.0.0.1', '', 'localhost']:
    s = socket.socket()
    s.bind((host, 0))
    a = s.getsockname()
    out.append([a[0], len(a), a[1] > 0])
    s.close()
return out`);
    const ours = ['127.0.0.1', '', 'localhost'].map((host) => {
      using s = socket.socket();
      s.bind([host, 0]);
      const a = s.getsockname() as [string, number];
      expect(Array.isArray(a)).toBe(true);
      return [a[0], a.length, a[1] > 0];
    });
    expect(ours).toEqual([
      ['127.0.0.1', 2, true],
      ['0.0.0.0', 2, true],
      ['127.0.0.1', 2, true],
    ]);
    expect(ours).toEqual(py);
  });

  it('AF_INET6: 2, 3 and 4 item addresses are taken; returned addresses always have 4 items', () => {
    const forms: unknown[][] = [
      ['::1', 0],
      ['::1', 0, 0],
      ['::1', 0, 0, 0],
      ['', 0],
    ];
    const py = python(
      `
out = []
for a in arg:
    s = socket.socket(socket.AF_INET6)
    s.bind(tuple(a))
    n = s.getsockname()
    out.append([n[0], len(n), n[1] > 0, n[2], n[3]])
    s.close()
return out`,
      forms,
    );
    const ours = forms.map((a) => {
      using s = socket.socket(socket.AF_INET6);
      s.bind(a as socket.IPv6Address);
      const n = s.getsockname() as [string, number, number, number];
      return [n[0], n.length, n[1] > 0, n[2], n[3]];
    });
    expect(ours[0]).toEqual(['::1', 4, true, 0, 0]);
    expect(ours[3]).toEqual(['::', 4, true, 0, 0]);
    expect(ours).toEqual(py);
  });

  it('AF_INET6: getpeername and accept addresses have 4 items', () => {
    using l = socket.socket(socket.AF_INET6);
    l.settimeout(5);
    l.bind(['::1', 0]);
    l.listen();
    const addr = l.getsockname() as socket.IPv6Address;
    using c = socket.socket(socket.AF_INET6);
    c.settimeout(5);
    c.connect(addr.slice(0, 2) as socket.IPv6Address);
    const [conn, peer] = l.accept();
    using _conn = conn;
    expect(c.getpeername()).toEqual(['::1', addr[1], 0, 0]);
    expect(peer).toEqual(c.getsockname());
    expect((peer as unknown[]).length).toBe(4);
  });

  it("AF_UNIX: unbound and socketpair getsockname are ''; a bound path comes back as a string", () => {
    const path107 = join(dir, 'p'.repeat(107 - dir.length - 1));
    expect(Buffer.byteLength(path107)).toBe(107);
    const py = python(
      `
u = socket.socket(socket.AF_UNIX)
a, b = socket.socketpair()
out = [u.getsockname(), a.getsockname(), a.getpeername()]
p = arg + '.py'
v = socket.socket(socket.AF_UNIX)
v.bind(p)
out.append(v.getsockname() == p)
v.close(); os.unlink(p)
u.close(); a.close(); b.close()
return out`,
      join(dir, 'q'),
    );
    using u = socket.socket(socket.AF_UNIX);
    const [a, b] = socket.socketpair();
    try {
      expect([u.getsockname(), a.getsockname(), a.getpeername()]).toEqual(['', '', '']);
      expect(py.slice(0, 3)).toEqual(['', '', '']);
      expect(py[3]).toBe(true);
    } finally {
      a.close();
      b.close();
    }
    using v = socket.socket(socket.AF_UNIX);
    v.bind(path107); // 107 bytes: the longest path that fits
    expect(v.getsockname()).toBe(path107);
    rmSync(path107);
  });

  it('AF_UNIX abstract namespace: a Buffer with a leading NUL comes back as a Buffer', () => {
    const name = Buffer.from(`\0sockmode-test-${process.pid}-${Math.random().toString(36).slice(2)}`);
    using s = socket.socket(socket.AF_UNIX);
    s.bind(name);
    const got = s.getsockname();
    expect(Buffer.isBuffer(got)).toBe(true);
    expect((got as Buffer).equals(name)).toBe(true);
    // a client connects to it by the same Buffer, and sees it as the peer
    s.listen();
    using c = socket.socket(socket.AF_UNIX);
    c.settimeout(5);
    c.connect(name);
    const peer = c.getpeername();
    expect(Buffer.isBuffer(peer) && peer.equals(name)).toBe(true);
    const py = python(
      `
name = bytes.fromhex(arg)
s = socket.socket(socket.AF_UNIX)
s.bind(name)
n = s.getsockname()
s.close()
return [type(n).__name__, n == name]`,
      Buffer.from(`\0sockmode-test-py-${process.pid}-${Math.random().toString(36).slice(2)}`).toString('hex'),
    );
    expect(py).toEqual(['bytes', true]);
  });

  it('AF_UNIX abstract name of exactly 108 bytes (NUL + 107) binds, as in CPython (no NUL terminator needed)', () => {
    const tag = `sockmode-${process.pid}-${Math.random().toString(36).slice(2)}-`;
    const mk = (side: string) => Buffer.from('\0' + (side + tag).padEnd(107, 'z'));
    const py = python(
      `
name = bytes.fromhex(arg)
s = socket.socket(socket.AF_UNIX)
o = observe(lambda: s.bind(name))
n = s.getsockname() if o['ok'] else None
s.close()
return [o, len(name), n == name]`,
      mk('py').toString('hex'),
    );
    expect(py[1]).toBe(108);
    expect(py[0].ok).toBe(true);
    const name = mk('js');
    expect(name.length).toBe(108);
    using s = socket.socket(socket.AF_UNIX);
    const o = outcome(observe(() => s.bind(name)));
    expect(o).toEqual(outcome(py[0]));
    const got = s.getsockname();
    expect(Buffer.isBuffer(got) && got.equals(name)).toBe(py[2]);
  });

  it('AF_UNIX empty Buffer autobinds to an abstract name (Linux), as in CPython', () => {
    const py = python(`
s = socket.socket(socket.AF_UNIX)
s.bind(b'')
n = s.getsockname()
s.close()
return [type(n).__name__, len(n), n[0]]`);
    using s = socket.socket(socket.AF_UNIX);
    s.bind(Buffer.alloc(0));
    const n = s.getsockname() as Buffer;
    expect(Buffer.isBuffer(n)).toBe(true);
    expect(['bytes', n.length, n[0]]).toEqual(py);
  });

  it('AF_UNIX: a missing path is FileNotFoundError [Errno 2], as Python', () => {
    using s = socket.socket(socket.AF_UNIX);
    s.settimeout(2);
    const o = observe(() => s.connect(join(dir, 'missing.sock')));
    expect(o).toMatchObject({ ok: false, error: 'FileNotFoundError', errno: 2 });
  });
});
