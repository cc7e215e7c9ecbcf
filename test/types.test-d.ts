// Type assertions over the public API as a TypeScript user imports it (the
// package's own entries, so the declarations in dist/ are what is checked):
// addresses, the tuples Python returns, the error classes, the option
// objects. vitest's typecheck mode runs tsc over this file (vitest.config.ts):
// an assertion that does not hold is a failed test. `@ts-expect-error` lines
// are the calls the types must refuse; one that compiled would fail too.
import { describe, expectTypeOf, it } from 'vitest';
import * as socket from 'sockmode';
import {
  BlockingIOError,
  ConnectionError,
  ConnectionRefusedError,
  OSError,
  Socket,
  TimeoutError,
  gaierror,
  loop,
  type Address,
  type AddrInfo,
  type AncData,
  type CreateConnectionOptions,
  type CreateServerOptions,
  type IPv4Address,
  type IPv6Address,
  type LoopOptions,
  type SockAddress,
} from 'sockmode';
import { epoll, poll, select, type Poll } from 'sockmode/select';
import { DefaultSelector, EVENT_READ, SelectorKey, type SelectorMapping } from 'sockmode/selectors';

describe('addresses', () => {
  it('IPv4 and IPv6 are labelled tuples; an AF_UNIX address is a path (string or Buffer)', () => {
    expectTypeOf<IPv4Address>().toEqualTypeOf<[host: string, port: number]>();
    expectTypeOf<IPv6Address>().toEqualTypeOf<[host: string, port: number, flowinfo?: number, scope_id?: number]>();
    expectTypeOf<['127.0.0.1', 80]>().toExtend<Address>();
    expectTypeOf<['::1', 80, 0, 0]>().toExtend<Address>();
    expectTypeOf<'/tmp/sock'>().toExtend<Address>();
    expectTypeOf<Buffer>().toExtend<Address>();
    expectTypeOf<[string]>().not.toExtend<Address>();
    expectTypeOf<[number, number]>().not.toExtend<Address>();
  });

  it('what the kernel reports (getsockname, accept, recvfrom) is a full address', () => {
    expectTypeOf<Socket['getsockname']>().returns.toEqualTypeOf<SockAddress>();
    expectTypeOf<Socket['getpeername']>().returns.toEqualTypeOf<SockAddress>();
    expectTypeOf<SockAddress>().toEqualTypeOf<[string, number] | [string, number, number, number] | string | Buffer>();
  });

  it('bind, connect and sendto take an Address and refuse anything else', () => {
    const s = socket.socket();
    expectTypeOf(s.bind).parameter(0).toEqualTypeOf<Address>();
    expectTypeOf(s.connect).parameter(0).toEqualTypeOf<Address>();
    // @ts-expect-error: a port alone is not an address
    s.connect(80);
    // @ts-expect-error: host and port as two arguments, not a tuple
    s.connect('127.0.0.1', 80);
  });
});

describe('return tuples, as Python returns them', () => {
  it('Socket methods', () => {
    expectTypeOf<Socket['accept']>().returns.toEqualTypeOf<[Socket, SockAddress]>();
    expectTypeOf<Socket['recv']>().returns.toEqualTypeOf<Buffer>();
    expectTypeOf<Socket['recv_into']>().returns.toEqualTypeOf<number>();
    expectTypeOf<Socket['recvfrom']>().returns.toEqualTypeOf<[Buffer, SockAddress | null]>();
    expectTypeOf<Socket['recvfrom_into']>().returns.toEqualTypeOf<[number, SockAddress | null]>();
    expectTypeOf<Socket['recvmsg']>().returns.toEqualTypeOf<[Buffer, AncData[], number, SockAddress | null]>();
    expectTypeOf<AncData>().toEqualTypeOf<[level: number, type: number, data: Buffer]>();
    expectTypeOf<Socket['send']>().returns.toEqualTypeOf<number>();
    expectTypeOf<Socket['sendall']>().returns.toEqualTypeOf<void>();
    expectTypeOf<Socket['connect_ex']>().returns.toEqualTypeOf<number>();
    expectTypeOf<Socket['fileno']>().returns.toEqualTypeOf<number>();
    expectTypeOf<Socket['detach']>().returns.toEqualTypeOf<number>();
  });

  it('modes: gettimeout() is seconds or null, getblocking() a boolean; settimeout takes seconds or null', () => {
    expectTypeOf<Socket['gettimeout']>().returns.toEqualTypeOf<number | null>();
    expectTypeOf<Socket['getblocking']>().returns.toEqualTypeOf<boolean>();
    expectTypeOf<Socket['settimeout']>().parameter(0).toEqualTypeOf<number | null>();
    expectTypeOf(socket.getdefaulttimeout).returns.toEqualTypeOf<number | null>();
    // @ts-expect-error: a timeout is a number of seconds, not a string
    socket.setdefaulttimeout('1');
  });

  it('module functions', () => {
    expectTypeOf(socket.socket).returns.toEqualTypeOf<Socket>();
    expectTypeOf(socket.socketpair).returns.toEqualTypeOf<[Socket, Socket]>();
    expectTypeOf(socket.getaddrinfo).returns.toEqualTypeOf<AddrInfo[]>();
    expectTypeOf<AddrInfo>().toEqualTypeOf<
      [family: number, type: number, proto: number, canonname: string, sockaddr: SockAddress]
    >();
    expectTypeOf(socket.recv_fds).returns.toEqualTypeOf<[Buffer, number[], number, SockAddress | null]>();
    expectTypeOf(socket.send_fds).returns.toEqualTypeOf<number>();
    expectTypeOf(socket.inet_aton).returns.toEqualTypeOf<Buffer>();
    expectTypeOf(socket.inet_ntop).returns.toEqualTypeOf<string>();
  });

  it('select: the objects given, per list; poll and epoll: [fd, events] pairs', () => {
    const [a, b] = socket.socketpair();
    expectTypeOf(select([a], [b], [], 0)).toEqualTypeOf<[Socket[], Socket[], never[]]>();
    const fds: number[] = [1, 2];
    expectTypeOf(select(fds, [], [], null)).toEqualTypeOf<[number[], never[], never[]]>();
    expectTypeOf(poll()).toEqualTypeOf<Poll>();
    expectTypeOf<Poll['poll']>().returns.toEqualTypeOf<[number, number][]>();
    expectTypeOf<epoll['poll']>().returns.toEqualTypeOf<[number, number][]>();
    // @ts-expect-error: a string is not a file object
    select(['stdin'], [], []);
  });

  it('selectors: keys carry the data type given to register()', () => {
    const [a] = socket.socketpair();
    const sel = new DefaultSelector<{ id: number }>();
    const key = sel.register(a, EVENT_READ, { id: 1 });
    expectTypeOf(key).toEqualTypeOf<SelectorKey<{ id: number }>>();
    expectTypeOf(key.data).toEqualTypeOf<{ id: number }>();
    expectTypeOf(key.fd).toEqualTypeOf<number>();
    expectTypeOf(sel.select(0)).toEqualTypeOf<[SelectorKey<{ id: number }>, number][]>();
    expectTypeOf(sel.get_map()).toEqualTypeOf<SelectorMapping<{ id: number }> | null>();
    // @ts-expect-error: the data must be of the selector's type
    sel.register(a, EVENT_READ, 'not an object');
  });
});

describe('error classes', () => {
  it("Python's hierarchy: every socket error is an OSError, with errno and strerror", () => {
    expectTypeOf<TimeoutError>().toExtend<OSError>();
    expectTypeOf<BlockingIOError>().toExtend<OSError>();
    expectTypeOf<ConnectionRefusedError>().toExtend<ConnectionError>();
    expectTypeOf<ConnectionError>().toExtend<OSError>();
    expectTypeOf<gaierror>().toExtend<OSError>();
    expectTypeOf<OSError>().toExtend<Error>();
    expectTypeOf<OSError['errno']>().toEqualTypeOf<number | null>();
    expectTypeOf<OSError['strerror']>().toEqualTypeOf<string | null>();
    expectTypeOf(socket.timeout).toEqualTypeOf<typeof TimeoutError>();
    expectTypeOf(socket.error).toEqualTypeOf<typeof OSError>();
  });

  it('OSError(errno, strerror) as in Python', () => {
    expectTypeOf(new OSError(111, 'Connection refused')).toEqualTypeOf<OSError>();
    expectTypeOf(OSError).constructorParameters.toEqualTypeOf<[errnoOrMessage?: number | string, strerror?: string]>();
  });
});

describe('option objects', () => {
  it('create_connection and create_server', () => {
    expectTypeOf<CreateConnectionOptions>().toEqualTypeOf<{ all_errors?: boolean }>();
    expectTypeOf<CreateServerOptions>().toEqualTypeOf<{
      family?: number;
      backlog?: number | null;
      reuse_port?: boolean;
      dualstack_ipv6?: boolean;
    }>();
    expectTypeOf(socket.create_connection).parameter(0).toEqualTypeOf<[string, number]>();
    expectTypeOf(socket.create_connection).returns.toEqualTypeOf<Socket>();
    // @ts-expect-error: an unknown option is refused
    socket.create_server(['127.0.0.1', 0], { reuse_address: true });
  });

  it('loop.sock_*: every call takes { signal } and returns a Promise of the synchronous result', () => {
    expectTypeOf<LoopOptions>().toEqualTypeOf<{ signal?: AbortSignal }>();
    expectTypeOf(loop.sock_recv).returns.toEqualTypeOf<Promise<Buffer>>();
    expectTypeOf(loop.sock_recv_into).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(loop.sock_recvfrom).returns.toEqualTypeOf<Promise<[Buffer, SockAddress | null]>>();
    expectTypeOf(loop.sock_sendall).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(loop.sock_connect).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(loop.sock_accept).returns.toEqualTypeOf<Promise<[Socket, SockAddress]>>();
    expectTypeOf(loop.sock_recv).parameter(2).toEqualTypeOf<LoopOptions | undefined>();
    const [a] = socket.socketpair();
    // @ts-expect-error: a signal is an AbortSignal, not a number of ms
    void loop.sock_recv(a, 1, { signal: 100 });
  });
});
