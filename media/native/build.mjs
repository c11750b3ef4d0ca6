/**
 * Builds the native packet path (media/native, N-API) at install time, and
 * never fails the install: without a compiler or Node's headers the media
 * worker runs the same packet path in JS (media/src/rtp/nativePacket.ts), a
 * little slower. MUSTER_NATIVE=0 skips the build.
 *
 * Offline installs (closed networks) cannot download Node's headers, so this
 * points node-gyp at the headers that come with Node itself when they are
 * installed (<prefix>/include/node, as in the official tarballs and distro
 * packages), unless npm already names a nodedir.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function notice(message) {
  console.warn(`\n[muster] ${message}\n[muster] the media worker will use its JavaScript packet path (slower, same behaviour)\n`);
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && fs.existsSync(c));
}

function main() {
  if (process.env.MUSTER_NATIVE === '0') return notice('MUSTER_NATIVE=0: native packet path not built');
  const gyp = nodeGyp();
  if (!gyp) return notice('node-gyp not found: native packet path not built');
  const args = [gyp, 'rebuild'];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const result = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000, encoding: 'utf8' });
  if (result.status !== 0) {
    const lines = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
    // The compiler's own errors say why; node-gyp's stack trace after them does not.
    const errors = lines.filter((l) => /\berror\b/i.test(l) && !l.startsWith('gyp ERR! stack'));
    const tail = (errors.length > 0 ? errors.slice(0, 8) : lines.slice(-8)).join('\n');
    return notice(`native packet path not built (node-gyp ${result.error ? result.error.message : `exit ${result.status}`}):\n${tail}`);
  }
  console.log('[muster] native packet path built (media/native/build/Release/muster_packet.node)');
}

main();
