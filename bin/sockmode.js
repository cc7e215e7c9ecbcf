#!/usr/bin/env node
// The `sockmode` command: `sockmode demo [name] [--json] [--timeout s]`.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
