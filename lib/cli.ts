/**
 * The `sockmode` command.
 *
 *   sockmode demo [name ...] [--json] [--timeout <seconds>]
 *
 * `demo` runs the scenarios of Python's socket-timeout documentation on
 * loopback (all, or the named ones) and prints a table, or JSON with
 * `--json`. `--timeout` sets the wait each timeout scenario uses (default 1 s).
 * Exit status: 0 when every scenario behaved as expected, 1 otherwise, 2 for
 * a usage error.
 */
import { formatDemo, runDemo, scenarios } from './demo.js';

const usage = `usage: sockmode demo [name ...] [--json] [--timeout <seconds>]
scenarios: ${scenarios.map((s) => s.name).join(', ')}`;

/** Runs the command line `argv` (without node and the script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
