/**
 * The `sockmode` command.
 *
 *   sockmode demo [name ...] [--json] [--timeout <seconds>]
 *   sockmode bench [--quick] [--json] [--svg <file>] [--no-pin] [--only <text>]...
 *
 * `demo` runs the scenarios of Python's socket-timeout documentation on
 * loopback (all, or the named ones) and prints a table, or JSON with
 * `--json`. `--timeout` sets the wait each timeout scenario uses (default 1 s).
 * Exit status: 0 when every scenario behaved as expected, 1 otherwise, 2 for
 * a usage error.
 *
 * `bench` measures every contender against the C floor in the same run
 * (lib/bench.ts): a progress line on stderr, then tables, or JSON with
 * `--json`; `--svg <file>` also writes a bar chart of the ratios; `--quick`
 * is a short run; `--no-pin` leaves client and peer unpinned; `--only`
 * keeps the rows whose name contains the text.
 */
import { formatBench, runBench, writeSvg } from './bench.js';
import { formatDemo, runDemo, scenarios } from './demo.js';

const usage = `usage: sockmode demo [name ...] [--json] [--timeout <seconds>]
       sockmode bench [--quick] [--json] [--svg <file>] [--no-pin] [--only <text>]...
scenarios: ${scenarios.map((s) => s.name).join(', ')}`;

async function bench(args: string[]): Promise<number> {
  let json = false;
  let quick = false;
  let pin = true;
  let svg: string | undefined;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--quick') quick = true;
    else if (a === '--no-pin') pin = false;
    else if (a === '--svg' && args[i + 1]) svg = args[++i];
    else if (a === '--only' && args[i + 1]) only.push(args[++i]);
    else {
      console.error(usage);
      return 2;
    }
  }
  const tty = process.stderr.isTTY;
  const report = await runBench({
    quick,
    pin,
    only,
    progress: (line) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`),
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (svg) writeSvg(report, svg);
  console.log(json ? JSON.stringify(report, null, 2) : formatBench(report));
  return 0;
}

/** Runs the command line `argv` (without node and the script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'bench') return bench(rest);
  if (command !== 'demo') {
    const help = command === undefined || command === '--help' || command === 'help';
    (help ? console.log : console.error)(usage);
    return help ? 0 : 2;
  }
  let json = false;
  let t = 1;
  const names: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') json = true;
    else if (a === '--timeout') {
      t = Number(rest[++i]);
      if (!(t > 0 && t <= 60)) {
        console.error('--timeout takes seconds, more than 0 and at most 60');
        return 2;
      }
    } else if (a.startsWith('-')) {
      console.error(usage);
      return 2;
    } else names.push(a);
  }
  let results;
  try {
    results = await runDemo(names, t);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  console.log(json ? JSON.stringify(results, null, 2) : formatDemo(results, t));
  return results.every((r) => r.pass) ? 0 : 1;
}
