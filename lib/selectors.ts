/**
 * `sockmode/selectors`: high-level I/O multiplexing, Python's `selectors`.
 *
 * `DefaultSelector` is `EpollSelector` on Linux (its `select()` costs what
 * the ready fds cost, not what the registered ones do), `PollSelector`
 * elsewhere. Registrations map file objects (sockets, or fds) to
 * `SelectorKey`s.
 *
 * Source: Python's `Lib/selectors.py`.
 *
 * @module sockmode/selectors
 */
import { KeyError } from './errors.js';
import { native } from './native.js';
import { epoll, EPOLLIN, EPOLLOUT, FileLike, Poll, POLLIN, POLLOUT, select as selectFds } from './select.js';

/** Event bit 1: readable. Source: Python's `selectors.EVENT_READ`. */
export const EVENT_READ = 1;
/** Event bit 2: writable. Source: Python's `selectors.EVENT_WRITE`. */
export const EVENT_WRITE = 2;

/**
 * A registration: the file object, its fd, the events asked for and the
 * caller's data. Source: Python's `selectors.SelectorKey`.
 */
export class SelectorKey<T = unknown> {
  /** Made by the selector's `register()`/`modify()`, not by callers. */
  constructor(
    /** The file object as registered: a `Socket` (or any object with `fileno()`) or an fd. */
    readonly fileobj: FileLike,
    /** Its fd at registration time. */
    readonly fd: number,
    /** The events asked for: a mask of `EVENT_READ` and `EVENT_WRITE`. */
    readonly events: number,
    /** The caller's data given to `register()`/`modify()` (`undefined` when none was). */
    readonly data: T,
  ) {}
}

const repr = (f: unknown) => String(f);

/**
 * The fd of a file object. @throws RangeError('Invalid file object: ...')
 * when it has no usable fileno(), RangeError('Invalid file descriptor: -1')
 * for a closed socket. Source: Python's `selectors._fileobj_to_fd`.
 */
function fileobjToFd(fileobj: FileLike): number {
  let fd: unknown;
  if (typeof fileobj === 'number') fd = fileobj;
  else {
    try {
      fd = (fileobj as { fileno(): unknown }).fileno();
    } catch {
      fd = undefined;
    }
    if (typeof fd !== 'number' || !Number.isInteger(fd)) throw new RangeError(`Invalid file object: ${repr(fileobj)}`);
  }
  if (!Number.isInteger(fd)) throw new RangeError(`Invalid file object: ${repr(fileobj)}`);
  if ((fd as number) < 0) throw new RangeError(`Invalid file descriptor: ${fd}`);
  return fd as number;
}

/**
 * A read-only view of a selector's registrations, by file object: what
 * `get_map()` returns. Source: Python's `selectors._SelectorMapping`.
 */
export class SelectorMapping<T = unknown> implements Iterable<number> {
  /** Made by the selector; `get_map()` returns it. */
  constructor(
    /** The selector whose registrations this views. */
    readonly selector: BaseSelector<T>,
  ) {}
  /** The number of registrations. */
  get size(): number {
    return this.selector._keys().size;
  }
  /** The key of fileobj. @throws KeyError(`'<fileobj> is not registered'`). */
  get(fileobj: FileLike): SelectorKey<T> {
    const key = this.selector._lookupKey(fileobj);
    if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
    return key;
  }
  /** Whether fileobj is registered. */
  has(fileobj: FileLike): boolean {
    return this.selector._lookupKey(fileobj) !== undefined;
  }
  /** The registered fds, as Python's mapping iterates. */
  *[Symbol.iterator](): Iterator<number> {
    yield* this.selector._keys().keys();
  }
  /** The keys. */
  values(): IterableIterator<SelectorKey<T>> {
    return this.selector._keys().values();
  }
}

/**
 * What every selector does; the subclasses differ in the system call behind
 * `select()`. Source: Python's `selectors.BaseSelector` and
 * `_BaseSelectorImpl`.
 */
export abstract class BaseSelector<T = unknown> {
  #fdToKey = new Map<number, SelectorKey<T>>();
  #map: SelectorMapping<T> | null = new SelectorMapping(this);

  /** @internal */
  _keys(): Map<number, SelectorKey<T>> {
    return this.#fdToKey;
  }

  /** @internal The fd of fileobj, or of its registration when it has none any more (closed). */
  _fd(fileobj: FileLike): number {
    try {
      return fileobjToFd(fileobj);
    } catch (e) {
      for (const key of this.#fdToKey.values()) if (key.fileobj === fileobj) return key.fd;
      throw e;
    }
  }

  /** @internal */
  _lookupKey(fileobj: FileLike): SelectorKey<T> | undefined {
    return this.#fdToKey.get(this._fd(fileobj));
  }

  /**
   * Registers fileobj (a socket or an fd) for `events` (EVENT_READ |
   * EVENT_WRITE), with optional data; returns its key.
   * @throws RangeError('Invalid events: N'), RangeError('Invalid file
   *   object...'/'Invalid file descriptor: -1'), KeyError('... (FD n) is
   *   already registered'), OSError [Errno 9] for an fd that is not open.
   */
  register(fileobj: FileLike, events: number, data?: T): SelectorKey<T> {
    if (typeof events !== 'number' || !Number.isInteger(events) || !events || events & ~(EVENT_READ | EVENT_WRITE)) {
      throw new RangeError(`Invalid events: ${String(events)}`);
    }
    const key = new SelectorKey<T>(fileobj, this._fd(fileobj), events, data as T);
    if (this.#fdToKey.has(key.fd)) throw new KeyError(`${repr(fileobj)} (FD ${key.fd}) is already registered`);
    this.#fdToKey.set(key.fd, key);
    try {
      this._add(key.fd, events);
    } catch (e) {
      this.#fdToKey.delete(key.fd);
      throw e;
    }
    return key;
  }

  /**
   * Unregisters fileobj and returns its key; works after fileobj was closed.
   * @throws KeyError(`'<fileobj> is not registered'`).
   */
  unregister(fileobj: FileLike): SelectorKey<T> {
    const key = this._lookupKey(fileobj);
    if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
    this.#fdToKey.delete(key.fd);
    this._remove(key.fd, key.events);
    return key;
  }

  /**
   * Changes the events or data of a registration; returns the new key.
   * @throws KeyError(`'<fileobj> is not registered'`), RangeError for events.
   */
  modify(fileobj: FileLike, events: number, data?: T): SelectorKey<T> {
    const key = this._lookupKey(fileobj);
    if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
    if (events !== key.events) {
      if (typeof events !== 'number' || !Number.isInteger(events) || !events || events & ~(EVENT_READ | EVENT_WRITE)) {
        throw new RangeError(`Invalid events: ${String(events)}`);
      }
      try {
        this._change(key.fd, key.events, events);
      } catch (e) {
        this.#fdToKey.delete(key.fd);
        throw e;
      }
    }
    if (events === key.events && data === key.data) return key;
    const updated = new SelectorKey<T>(key.fileobj, key.fd, events, data as T);
    this.#fdToKey.set(key.fd, updated);
    return updated;
  }

  /**
   * Waits at most `timeout` seconds (`null` or omitted: forever; 0 or less:
   * poll) and returns `[key, events]` for each ready registration, events
   * limited to what it asked for; `[]` when the time ran out. EINTR waits
   * again with what remains.
   * @throws TypeError (timeout not a number or null); RangeError('I/O
   *   operation on closed epoll object') from a closed `EpollSelector`.
   * Source: poll(2) or epoll_wait(2), Python's `selectors.BaseSelector.select()`.
   */
  select(timeout?: number | null): [SelectorKey<T>, number][] {
    if (timeout !== undefined && timeout !== null && typeof timeout !== 'number') {
      throw new TypeError(`timeout must be a number of seconds or null, not ${typeof timeout}`);
    }
    const ready: [SelectorKey<T>, number][] = [];
    for (const [fd, events] of this._wait(timeout === undefined || timeout === null ? null : Math.max(timeout, 0))) {
      const key = this.#fdToKey.get(fd);
      if (key) ready.push([key, events & key.events]);
    }
    return ready;
  }

  /**
   * The key of fileobj. @throws KeyError, RangeError('Selector is closed')
   * (Python's RuntimeError).
   */
  get_key(fileobj: FileLike): SelectorKey<T> {
    const map = this.get_map();
    if (map === null) throw new RangeError('Selector is closed');
    return map.get(fileobj);
  }

  /** The registrations by file object, or `null` once closed. */
  get_map(): SelectorMapping<T> | null {
    return this.#map;
  }

  /** Forgets every registration and frees what the selector holds. */
  close(): void {
    this.#fdToKey.clear();
    this.#map = null;
  }

  /** `close()`, for `using sel = new DefaultSelector()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Start watching fd for events (EVENT_*). */
  protected abstract _add(fd: number, events: number): void;
  /** @internal Stop watching fd; an fd closed meanwhile is not an error. */
  protected abstract _remove(fd: number, events: number): void;
  /** @internal Change what fd is watched for. */
  protected abstract _change(fd: number, before: number, after: number): void;
  /** @internal Wait; return [fd, EVENT_* mask] pairs. */
  protected abstract _wait(timeout: number | null): Iterable<[number, number]>;
}

/**
 * A selector on `select()` (here built on poll(2), so no FD_SETSIZE limit).
 * Source: Python's `selectors.SelectSelector`.
 */
export class SelectSelector<T = unknown> extends BaseSelector<T> {
  #readers = new Set<number>();
  #writers = new Set<number>();
  protected _add(fd: number, events: number): void {
    if (events & EVENT_READ) this.#readers.add(fd);
    if (events & EVENT_WRITE) this.#writers.add(fd);
  }
  protected _remove(fd: number): void {
    this.#readers.delete(fd);
    this.#writers.delete(fd);
  }
  protected _change(fd: number, before: number, after: number): void {
    this._remove(fd);
    this._add(fd, after);
  }
  protected _wait(timeout: number | null): [number, number][] {
    const [r, w] = selectFds(this.#readers, this.#writers, [], timeout);
    const events = new Map<number, number>();
    for (const fd of r) events.set(fd, EVENT_READ);
    for (const fd of w) events.set(fd, (events.get(fd) ?? 0) | EVENT_WRITE);
    return [...events];
  }
}

/** The poll(2)/epoll(7) mask for selector events (EVENT_READ, EVENT_WRITE). */
function fromEvents(events: number, readBit: number, writeBit: number): number {
  return (events & EVENT_READ ? readBit : 0) | (events & EVENT_WRITE ? writeBit : 0);
}

/** Both bits other than the write bit mean readable, and the reverse (Python's rule). */
function toEvents(event: number, readBit: number, writeBit: number): number {
  let events = 0;
  if (event & ~readBit) events |= EVENT_WRITE;
  if (event & ~writeBit) events |= EVENT_READ;
  return events;
}

/** A selector on `poll(2)`. Source: Python's `selectors.PollSelector`. */
export class PollSelector<T = unknown> extends BaseSelector<T> {
  #poll = new Poll();
  protected _add(fd: number, events: number): void {
    this.#poll.register(fd, fromEvents(events, POLLIN, POLLOUT));
  }
  protected _remove(fd: number): void {
    try {
      this.#poll.unregister(fd);
    } catch {
      // already gone
    }
  }
  protected _change(fd: number, _before: number, after: number): void {
    this.#poll.modify(fd, fromEvents(after, POLLIN, POLLOUT));
  }
  protected _wait(timeout: number | null): [number, number][] {
    const ms = timeout === null ? null : Math.ceil(timeout * 1e3);
    return this.#poll.poll(ms).map(([fd, ev]) => [fd, toEvents(ev, POLLIN, POLLOUT)]);
  }
}

/**
 * A selector on epoll(7) (Linux): registering costs one epoll_ctl, and
 * `select()` costs what the ready fds cost, however many are registered.
 * Source: Python's `selectors.EpollSelector`.
 */
export class EpollSelector<T = unknown> extends BaseSelector<T> {
  #epoll = new epoll();
  /** The epoll fd. */
  fileno(): number {
    return this.#epoll.fileno();
  }
  protected _add(fd: number, events: number): void {
    this.#epoll.register(fd, fromEvents(events, EPOLLIN, EPOLLOUT));
  }
  protected _remove(fd: number): void {
    try {
      this.#epoll.unregister(fd);
    } catch {
      // the fd was closed since it was registered: the kernel already forgot it
    }
  }
  protected _change(fd: number, _before: number, after: number): void {
    this.#epoll.modify(fd, fromEvents(after, EPOLLIN, EPOLLOUT));
  }
  protected _wait(timeout: number | null): [number, number][] {
    const t = timeout === null ? -1 : Math.ceil(timeout * 1e3) * 1e-3;
    const max = Math.max(this._keys().size, 1);
    return this.#epoll.poll(t, max).map(([fd, ev]) => [fd, toEvents(ev, EPOLLIN, EPOLLOUT)]);
  }
  override close(): void {
    this.#epoll.close();
    super.close();
  }
}

/**
 * The best selector here: `EpollSelector` on Linux, `PollSelector` elsewhere.
 * Source: Python's `selectors.DefaultSelector`.
 */
export const DefaultSelector: typeof EpollSelector | typeof PollSelector =
  typeof native.epoll_create === 'function' ? EpollSelector : PollSelector;
/** An instance of {@link DefaultSelector}. */
export type DefaultSelector<T = unknown> = EpollSelector<T> | PollSelector<T>;
