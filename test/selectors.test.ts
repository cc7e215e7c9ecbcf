// SEMANTICS §9 and §12: `sockmode/selectors`, a port of Python's selectors.py.
// Each selector class against the same class of CPython's module: keys,
// select() results, modify/unregister, and the errors (invalid events, invalid
// file object, closed fd, duplicate registration, unknown object, closed
// selector). Loopback only (socketpairs); every select() has a timeout or
// something already ready.
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as socket from '../lib/index.js';
import {
  DefaultSelector,
  EpollSelector,
  EVENT_READ,
  EVENT_WRITE,
  PollSelector,
  SelectorKey,
  SelectSelector,
} from '../lib/selectors.js';
import { checkNoFdLeaks, fdCount, observe, outcome, python, type Observation } from './helpers.js';

checkNoFdLeaks();

type Sock = socket.Socket;
type AnySelector =
  InstanceType<typeof EpollSelector> | InstanceType<typeof PollSelector> | InstanceType<typeof SelectSelector>;

const classes: [string, new () => AnySelector][] = [
  ['DefaultSelector', DefaultSelector],
  ['EpollSelector', EpollSelector],
  ['PollSelector', PollSelector],
  ['SelectSelector', SelectSelector],
];

/** An fd number that is not open (a socket's, just closed; nothing opens in between). */
function closedFd(): number {
  const s = socket.socket();
  const fd = s.fileno();
  s.close();
  return fd;
}

/** Replaces whole-word fd numbers in a message by labels (fd numbers differ between processes). */
function relabel(message: string | undefined, labels: Record<number, string>): string | undefined {
  if (message === undefined) return message;
  for (const [fd, name] of Object.entries(labels)) message = message.replace(new RegExp(`\\b${fd}\\b`, 'g'), name);
  return message;
}

/** CPython's side of relabel (KeyError texts only), plus: a KeyError's str() is the repr of its text; keep the text. */
const PY_PRELUDE = `
import selectors, re
cls = getattr(selectors, arg['cls'])
def relabel(o, labels):
    if o['ok'] or o['error'] != 'KeyError':
        return o
    m = o['message']
    if o['error'] == 'KeyError' and len(m) >= 2 and m[0] == m[-1] and m[0] in '"\\'':
        m = m[1:-1]
    for fd, name in labels.items():
        m = re.sub(r'\\b%d\\b' % fd, name, m)
    return dict(o, message=m)
`;

describe('constants and classes', () => {
  it("EVENT_READ, EVENT_WRITE are CPython's; DefaultSelector is EpollSelector on Linux", () => {
    const py = python(`
import selectors
return [selectors.EVENT_READ, selectors.EVENT_WRITE, selectors.DefaultSelector.__name__]`);
    expect([EVENT_READ, EVENT_WRITE]).toEqual(py.slice(0, 2));
    expect(py[2]).toBe('EpollSelector');
    expect(DefaultSelector).toBe(EpollSelector);
    using sel = new DefaultSelector();
    expect(sel).toBeInstanceOf(EpollSelector);
  });
});

describe.each(classes)('%s', (name, Cls) => {
  it('register, get_key, get_map, select, modify and unregister as CPython', () => {
    const py = python(
      `${PY_PRELUDE}
sel = cls()
a, b = socket.socketpair()
af, bf = a.fileno(), b.fileno()
def lab(x):
    if x is a: return 'a'
    if x is b: return 'b'
    return {af: 'af', bf: 'bf'}[x]
def k(key):
    return [lab(key.fileobj), {af: 'a', bf: 'b'}[key.fd], key.events, key.data]
def s(t=0):
    return sorted([[k(key), ev] for key, ev in sel.select(t)])
out = []
ka = sel.register(a, selectors.EVENT_READ, 'da'); out.append(k(ka)); out.append(s())
b.send(b'x'); out.append(s())
kb = sel.register(bf, selectors.EVENT_READ | selectors.EVENT_WRITE); out.append(k(kb)); out.append(s())
m = sel.get_map()
out.append([sel.get_key(a) is ka, sel.get_key(bf) is kb, sel.get_key(af) is ka, m[a] is ka, len(m), a in m, b in m, bf in m])
ka2 = sel.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE, 'da2'); out.append([k(ka2), ka2 is ka, sel.get_key(a) is ka2]); out.append(s())
out.append(sel.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE, 'da2') is ka2)
ka4 = sel.modify(a, selectors.EVENT_WRITE, 'da2'); out.append([k(ka4), ka4 is ka2])
ka5 = sel.modify(a, selectors.EVENT_WRITE, 'other'); out.append([k(ka5), ka5 is ka4, sel.get_key(a) is ka5])
out.append(s())
r = sel.unregister(bf); out.append([r is kb, len(m), bf in m]); out.append(s())
sel.modify(a, selectors.EVENT_READ); a.recv(1); out.append(s())
b.close(); out.append(s())
r = sel.unregister(a); out.append([k(r), len(m)])
sel.close(); out.append(sel.get_map() is None)
a.close()
return out`,
      { cls: name },
    );
    const sel = new Cls();
    const [a, b] = socket.socketpair();
    try {
      const af = a.fileno();
      const bf = b.fileno();
      const lab = (x: unknown) => (x === a ? 'a' : x === b ? 'b' : x === af ? 'af' : x === bf ? 'bf' : '?');
      const k = (key: SelectorKey) => [
        lab(key.fileobj),
        key.fd === af ? 'a' : key.fd === bf ? 'b' : '?',
        key.events,
        key.data ?? null,
      ];
      const s = (t = 0) =>
        sel
          .select(t)
          .map(([key, ev]) => [k(key), ev])
          .sort();
      const ours: unknown[] = [];
      const ka = sel.register(a, EVENT_READ, 'da');
      ours.push(k(ka), s());
      b.send(Buffer.from('x'));
      ours.push(s());
      const kb = sel.register(bf, EVENT_READ | EVENT_WRITE);
      ours.push(k(kb), s());
      const m = sel.get_map()!;
      ours.push([
        sel.get_key(a) === ka,
        sel.get_key(bf) === kb,
        sel.get_key(af) === ka,
        m.get(a) === ka,
        m.size,
        m.has(a),
        m.has(b),
        m.has(bf),
      ]);
      const ka2 = sel.modify(a, EVENT_READ | EVENT_WRITE, 'da2');
      ours.push([k(ka2), ka2 === ka, sel.get_key(a) === ka2], s());
      ours.push(sel.modify(a, EVENT_READ | EVENT_WRITE, 'da2') === ka2);
      const ka4 = sel.modify(a, EVENT_WRITE, 'da2');
      ours.push([k(ka4), ka4 === ka2]);
      const ka5 = sel.modify(a, EVENT_WRITE, 'other');
      ours.push([k(ka5), ka5 === ka4, sel.get_key(a) === ka5]);
      ours.push(s());
      const r = sel.unregister(bf);
      ours.push([r === kb, m.size, m.has(bf)], s());
      sel.modify(a, EVENT_READ);
      a.recv(1);
      ours.push(s());
      b.close();
      ours.push(s());
      const r2 = sel.unregister(a);
      ours.push([k(r2), m.size]);
      sel.close();
      ours.push(sel.get_map() === null);
      expect(ours).toEqual(py);
      // spelled out
      expect(ka).toBeInstanceOf(SelectorKey);
      expect([ka.fileobj, ka.fd, ka.events, ka.data]).toEqual([a, af, EVENT_READ, 'da']);
      expect(ours[2]).toEqual([[['a', 'a', EVENT_READ, 'da'], EVENT_READ]]);
      expect(ours[8]).toBe(true); // modify with nothing changed returns the same key
    } finally {
      sel.close();
      a.close();
      b.close();
    }
  });

  it('raises what CPython raises: events, file objects, closed fd, duplicates, unknown objects, closed selector', () => {
    const cases = [
      'events 0',
      'events 4',
      'events -1',
      'file object {}',
      'file object str',
      'file object null',
      'file object 1.5',
      'closed socket',
      'duplicate fd',
      'duplicate object',
      'get_key unknown',
      'unregister unknown',
      'modify unknown',
      'get_map unknown',
      'fd not open: register',
      'fd not open: select',
      'fd not open: unregister',
      'closed: get_key',
      'closed: get_map',
      'closed: close again',
    ];
    const py = python(
      `${PY_PRELUDE}
sel = cls()
a, b = socket.socketpair()
c = socket.socket(); c.close()
d = socket.socket(); fd = d.fileno(); d.close()
af, bf = a.fileno(), b.fileno()
sel.register(af, selectors.EVENT_READ)
calls = {
    'events 0': lambda: sel.register(b, 0),
    'events 4': lambda: sel.register(b, 4),
    'events -1': lambda: sel.register(b, -1),
    'file object {}': lambda: sel.register({}, 1),
    'file object str': lambda: sel.register('abc', 1),
    'file object null': lambda: sel.register(None, 1),
    'file object 1.5': lambda: sel.register(1.5, 1),
    'closed socket': lambda: sel.register(c, 1),
    'duplicate fd': lambda: sel.register(af, 1),
    'duplicate object': lambda: sel.register(a, 1),
    'get_key unknown': lambda: sel.get_key(bf),
    'unregister unknown': lambda: sel.unregister(bf),
    'modify unknown': lambda: sel.modify(bf, 1),
    'get_map unknown': lambda: sel.get_map()[bf],
    'fd not open: register': lambda: sel.register(fd, selectors.EVENT_READ) and None,
    'fd not open: select': lambda: [[key.fd == fd, ev] for key, ev in sel.select(0)],
    'fd not open: unregister': lambda: sel.unregister(fd) and None,
    'closed: get_key': lambda: sel.get_key(a),
    'closed: get_map': lambda: sel.get_map(),
    'closed: close again': lambda: sel.close(),
}
out = []
for name in arg['cases']:
    if name.startswith('closed:') and sel.get_map() is not None:
        sel.close()
    out.append(relabel(observe(calls[name]), {af: 'a', bf: 'b', fd: 'fd'}))
a.close(); b.close()
return out`,
      { cls: name, cases },
    );
    const sel = new Cls();
    const [a, b] = socket.socketpair();
    try {
      const c = socket.socket();
      c.close();
      const fd = closedFd();
      const af = a.fileno();
      const bf = b.fileno();
      sel.register(af, EVENT_READ);
      const any = sel as unknown as { register(...args: unknown[]): unknown };
      const calls: Record<string, () => unknown> = {
        'events 0': () => sel.register(b, 0),
        'events 4': () => sel.register(b, 4),
        'events -1': () => sel.register(b, -1),
        'file object {}': () => any.register({}, 1),
        'file object str': () => any.register('abc', 1),
        'file object null': () => any.register(null, 1),
        'file object 1.5': () => sel.register(1.5, 1),
        'closed socket': () => sel.register(c, 1),
        'duplicate fd': () => sel.register(af, 1),
        'duplicate object': () => sel.register(a, 1),
        'get_key unknown': () => sel.get_key(bf),
        'unregister unknown': () => sel.unregister(bf),
        'modify unknown': () => sel.modify(bf, 1),
        'get_map unknown': () => sel.get_map()!.get(bf),
        'fd not open: register': () => void sel.register(fd, EVENT_READ),
        'fd not open: select': () => sel.select(0).map(([key, ev]) => [key.fd === fd, ev]),
        'fd not open: unregister': () => void sel.unregister(fd),
        'closed: get_key': () => sel.get_key(a),
        'closed: get_map': () => sel.get_map(),
        'closed: close again': () => sel.close(),
      };
      const ours = cases.map((c) => {
        if (c.startsWith('closed:') && sel.get_map() !== null) sel.close();
        const o = observe(calls[c]);
        if (o.error !== 'KeyError') return o; // only KeyError texts hold fd numbers
        return { ...o, message: relabel(o.message, { [af]: 'a', [bf]: 'b', [fd]: 'fd' }) } as Observation;
      });
      cases.forEach((c, i) => {
        const mine = outcome(ours[i]);
        const theirs = outcome(py[i]);
        if (theirs.error === 'TypeError') {
          expect([c, mine.error]).toEqual([c, 'TypeError']);
        } else if (theirs.error === 'RuntimeError') {
          // CPython's RuntimeError is a RangeError here (the fuzzed-argument
          // contract allows TypeError, RangeError, OSError); same text
          expect([c, mine.error, mine.message]).toEqual([c, 'RangeError', theirs.message]);
        } else if (c === 'file object {}' || c === 'file object str' || c === 'file object null') {
          // the text ends with the object's repr, which is language-specific
          expect([c, mine.error]).toEqual([c, theirs.error]);
          expect(mine.message).toMatch(/^Invalid file object: /);
          expect(theirs.message).toMatch(/^Invalid file object: /);
        } else if (c === 'duplicate object') {
          // '<repr of the socket> (FD n) is already registered'
          expect([c, mine.error]).toEqual([c, 'KeyError']);
          expect(mine.message).toMatch(/ \(FD a\) is already registered$/);
          expect(theirs.message).toMatch(/ \(FD a\) is already registered$/);
        } else {
          expect([c, mine]).toEqual([c, theirs]);
        }
      });
      // the contract's texts, spelled out
      const byName = Object.fromEntries(cases.map((c, i) => [c, ours[i]]));
      expect(byName['events 0']).toMatchObject({ error: 'RangeError', message: 'Invalid events: 0' });
      expect(byName['events 4']).toMatchObject({ error: 'RangeError', message: 'Invalid events: 4' });
      expect(byName['closed socket']).toMatchObject({ error: 'RangeError', message: 'Invalid file descriptor: -1' });
      expect(byName['duplicate fd']).toMatchObject({ error: 'KeyError', message: 'a (FD a) is already registered' });
      expect(byName['get_key unknown']).toMatchObject({ error: 'KeyError', message: 'b is not registered' });
      expect(byName['closed: get_key']).toMatchObject({ error: 'RangeError', message: 'Selector is closed' });
      expect(() => {
        const s2 = new Cls();
        try {
          s2.register(a, EVENT_READ);
          s2.register(a, EVENT_WRITE);
        } finally {
          s2.close();
        }
      }).toThrow(socket.KeyError);
    } finally {
      sel.close();
      a.close();
      b.close();
    }
  });

  it('unregister after the socket was closed works and returns the key; its fd number can be registered again', () => {
    const py = python(
      `${PY_PRELUDE}
sel = cls()
a, b = socket.socketpair()
k = sel.register(a, selectors.EVENT_READ, 'x')
fd = a.fileno()
a.close(); b.close()
out = [sel.get_key(a) is k, sel.unregister(a) is k, len(sel.get_map())]
c, d = socket.socketpair()
out.append(c.fileno() == fd or d.fileno() == fd)
kc = sel.register(c, selectors.EVENT_READ)
kd = sel.register(d, selectors.EVENT_READ)
d.send(b'x')
out.append([[key is kc, ev] for key, ev in sel.select(0)])
sel.close(); c.close(); d.close()
return out`,
      { cls: name },
    );
    const sel = new Cls();
    const [a, b] = socket.socketpair();
    const more: Sock[] = [];
    try {
      const k = sel.register(a, EVENT_READ, 'x');
      const fd = a.fileno();
      a.close();
      b.close();
      const ours: unknown[] = [sel.get_key(a) === k, sel.unregister(a) === k, sel.get_map()!.size];
      const [c, d] = socket.socketpair();
      more.push(c, d);
      ours.push(c.fileno() === fd || d.fileno() === fd);
      const kc = sel.register(c, EVENT_READ);
      sel.register(d, EVENT_READ);
      d.send(Buffer.from('x'));
      ours.push(sel.select(0).map(([key, ev]) => [key === kc, ev]));
      expect(ours).toEqual(py);
      expect(ours.slice(0, 4)).toEqual([true, true, 0, true]);
    } finally {
      sel.close();
      for (const s of [a, b, ...more]) s.close();
    }
  });

  it('select(): 0 and negative poll, t waits at least t, null/omitted returns at once when ready', () => {
    const sel = new Cls();
    const [a, b] = socket.socketpair();
    try {
      const ka = sel.register(a, EVENT_READ);
      for (const t of [0, -1]) {
        const t0 = performance.now();
        expect(sel.select(t)).toEqual([]);
        expect((performance.now() - t0) / 1000).toBeLessThan(0.5);
      }
      for (const t of [0.25, 0.0101]) {
        const t0 = performance.now();
        expect(sel.select(t)).toEqual([]);
        const elapsed = (performance.now() - t0) / 1000;
        expect(elapsed).toBeGreaterThanOrEqual(t);
        expect(elapsed).toBeLessThan(t + 2);
      }
      b.send(Buffer.from('x'));
      for (const t of [null, undefined]) {
        const t0 = performance.now();
        const r = t === null ? sel.select(null) : sel.select();
        expect((performance.now() - t0) / 1000).toBeLessThan(1);
        expect(r.length).toBe(1);
        expect(r[0][0]).toBe(ka);
        expect(r[0][1]).toBe(EVENT_READ);
      }
    } finally {
      sel.close();
      a.close();
      b.close();
    }
  });

  it('reports only the events asked for; a hung-up peer is readable', () => {
    const sel = new Cls();
    const [a, b] = socket.socketpair();
    try {
      const ka = sel.register(a, EVENT_READ); // writable, not readable
      expect(sel.select(0)).toEqual([]);
      sel.modify(a, EVENT_WRITE);
      expect(sel.select(0)).toEqual([[sel.get_key(a), EVENT_WRITE]]);
      sel.modify(a, EVENT_READ | EVENT_WRITE);
      b.send(Buffer.from('x'));
      expect(sel.select(0)).toEqual([[sel.get_key(a), EVENT_READ | EVENT_WRITE]]);
      a.recv(1);
      sel.modify(a, EVENT_READ);
      b.close();
      const r = sel.select(1);
      expect(r.length).toBe(1);
      expect(r[0][1]).toBe(EVENT_READ);
      expect(r[0][0].fileobj).toBe(ka.fileobj);
    } finally {
      sel.close();
      a.close();
      b.close();
    }
  });

  it("close and using release what the selector holds; get_key after close is RangeError('Selector is closed') (Python's RuntimeError)", () => {
    const before = fdCount();
    const [a, b] = socket.socketpair();
    try {
      let held: AnySelector;
      {
        using sel = new Cls();
        held = sel;
        sel.register(a, EVENT_READ);
        sel.register(b, EVENT_WRITE);
        expect(sel.get_map()!.size).toBe(2);
      }
      expect(held.get_map()).toBe(null);
      expect(() => held.get_key(a)).toThrow(new RangeError('Selector is closed'));
      expect(() => held.close()).not.toThrow();
      const sel = new Cls();
      sel.register(a, EVENT_READ);
      sel.close();
      expect(sel.get_map()).toBe(null);
      // the sockets themselves stay open
      expect(a.fileno()).toBeGreaterThanOrEqual(0);
      b.send(Buffer.from('x'));
      expect(a.recv(1).toString()).toBe('x');
    } finally {
      a.close();
      b.close();
    }
    expect(fdCount()).toBe(before);
  });
});

describe('EpollSelector', () => {
  it('fileno() is its epoll fd, and close() closes it', () => {
    const before = fdCount();
    const sel = new EpollSelector();
    const fd = sel.fileno();
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('anon_inode:[eventpoll]');
    expect(fdCount()).toBe(before + 1);
    sel.close();
    expect(fdCount()).toBe(before);
  });
});
