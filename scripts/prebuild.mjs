#!/usr/bin/env node
// npm run prebuild: the committed prebuilt binary, and the stamp that ties it
// to the sources it was built from.
//
// prebuildify (Node-API, so one binary serves every Node version; stripped;
// tagged glibc, so node-gyp-build never offers it to a musl system) writes
// prebuilds/<platform>-<arch>/sockmode.glibc.node. Then this script writes
// prebuilds/<platform>-<arch>/sources.sha256: the SHA-256 of binding.gyp, of
// every file in native/ and of node-addon-api's version. test/package.test.ts
// recomputes it, so a change to native/ without a new prebuild fails the
// tests instead of shipping a stale binary.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folder prebuildify writes for this machine, e.g. `prebuilds/linux-x64`. */
export const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

/** SHA-256 (hex) of what the binary is built from: binding.gyp, native/*, node-addon-api's version. */
export function sourcesHash() {
  const hash = createHash('sha256');
  const files = [
    'binding.gyp',
    ...readdirSync(join(root, 'native'))
      .sort()
      .map((f) => join('native', f)),
  ];
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  const require = createRequire(import.meta.url);
  hash.update(`node-addon-api@${require('node-addon-api/package.json').version}`);
  return hash.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = join(root, 'node_modules', '.bin', 'prebuildify');
  execFileSync(bin, ['--napi', '--strip', '--tag-libc'], { cwd: root, stdio: 'inherit' });
  // prebuildify moves the binary out of build/Release; link it again there
  // (the objects are current) so the tree's own build stays what loads here.
  execFileSync(join(root, 'node_modules', '.bin', 'node-gyp'), ['build'], { cwd: root, stdio: 'inherit' });
  writeFileSync(join(prebuildDir, 'sources.sha256'), `${sourcesHash()}\n`);
  console.log(`prebuild: ${readdirSync(prebuildDir).join(', ')} in ${prebuildDir}`);
}
