/**
 * The package graph, checked: which workspace may import which (the arrows of
 * docs/architecture.md), and that product code logs through the kit's logger.
 * `architecture.test.ts` runs it over the tree in `npm test`, so a
 * cross-layer import fails the build instead of waiting for a reviewer.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What each workspace may import, besides itself. Dependencies point one way: kit ← db ← domains ← app. */
export const ALLOWED: Record<string, readonly string[]> = {
  kit: [],
  db: ['kit'],
  media: ['kit'],
  recorder: ['kit', 'media'],
  whiteboard: ['kit', 'db'],
  // The meetings domain: rooms, media sessions, host controls, its socket protocol and REST routers.
  signaling: ['kit', 'db', 'media', 'recorder'],
  // People: sign-up, log-in, devices, profiles, guests, the admin console's rules and routes.
  accounts: ['kit', 'db'],
  // Messaging: contacts (and next conversations, messages, sync), on top of accounts.
  // Files: uploads, encrypted storage, downloads, media processing, retention. Who may read a file is asked of the
  // objects that reference it (a conversation's members…) through a port the server wires, so files imports no domain.
  files: ['kit', 'db', 'accounts'],
  // IM uses the files contract (what a message's file looks like); the files domain itself it reaches through a port.
  im: ['kit', 'db', 'accounts', 'files'],
  // Offline notifications: subscriptions, Web Push, UnifiedPush, gateways; driven by IM's hub of live events.
  push: ['kit', 'db', 'accounts', 'im'],
  // Service accounts (articles, subscriptions, moderated comments) and Moments (posts seen by friends): both read
  // IM's contacts and publish on its hub; their files' readers they answer through the files port the server wires.
  channels: ['kit', 'db', 'accounts', 'files', 'im'],
  moments: ['kit', 'db', 'accounts', 'files', 'im'],
  // The app: main.ts, configuration, HTTP wiring. The only package that imports every other one.
  server: ['kit', 'db', 'media', 'recorder', 'whiteboard', 'signaling', 'accounts', 'im', 'files', 'push', 'channels', 'moments'],
  'web-demo': ['kit', 'signaling', 'whiteboard', 'accounts', 'im', 'files', 'channels', 'moments'],
  loadtest: ['kit', 'db', 'media', 'signaling', 'accounts', 'im', 'files'],
  // The browser suites: the real web client (built) against a whole server.
  e2e: ['kit', 'recorder', 'signaling', 'whiteboard', 'accounts', 'im', 'files', 'push', 'channels', 'moments', 'web-demo', 'server'],
};

/**
 * Imports that break the rules today, each with the change that removes it.
 * The check fails on any other, and on an entry here that no longer occurs
 * (so the list only shrinks).
 */
export const KNOWN_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [];

/** Workspaces whose non-test code must log through `@muster/kit/log`, never `console`. */
export const LOGGED_WORKSPACES = ['kit', 'db', 'media', 'recorder', 'whiteboard', 'signaling', 'accounts', 'im', 'files', 'push', 'channels', 'moments', 'server'];

export interface Violation {
  file: string;
  line: number;
  problem: string;
}

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s+['"]([^'"]+)['"]/g;

/** The module specifiers a TypeScript file imports, with their line numbers. */
export function importsOf(source: string): { spec: string; line: number }[] {
  const found: { spec: string; line: number }[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    // The match may begin with the character before the keyword (a newline): count lines up to the keyword.
    if (spec) found.push({ spec, line: source.slice(0, match.index + match[0].search(/import|export/)).split('\n').length });
  }
  return found;
}

/** The workspace a repository path belongs to, or null. */
function workspaceOf(file: string): string | null {
  const top = file.split('/')[0]!;
  return Object.hasOwn(ALLOWED, top) ? top : null;
}

function isTestCode(file: string): boolean {
  return /\.test\.ts$|\.bench\.ts$|\/testing\/|\/bench\//.test(file);
}

/**
 * Checks files given as repository-relative paths with their text. Pure, so
 * the test can plant a violation in a made-up tree and see it caught.
 */
export function check(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const used = new Set<number>();
  for (const [file, source] of files) {
    const from = workspaceOf(file);
    if (!from) continue;
    for (const { spec, line } of importsOf(source)) {
      let target: string | null = null;
      let label = spec;
      const scoped = /^@muster\/([a-z-]+)/.exec(spec);
      if (scoped) target = scoped[1]!;
      else if (spec.startsWith('.')) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        target = workspaceOf(resolved);
        if (target === from) continue;
        // Reaching into another package by path: what it reaches is that package's folder.
        label = resolved.split('/').slice(0, 3).join('/');
        if (target !== null) {
          const exception = KNOWN_EXCEPTIONS.findIndex((e) => e.from === file && label.startsWith(e.to));
          if (exception >= 0) {
            used.add(exception);
            continue;
          }
          violations.push({ file, line, problem: `imports ${label} by path: use the package's exported entry` });
          continue;
        }
      }
      if (!target || target === from) continue;
      if (!Object.hasOwn(ALLOWED, target)) continue;
      if (ALLOWED[from]!.includes(target)) continue;
      const exception = KNOWN_EXCEPTIONS.findIndex((e) => e.from === file && spec.startsWith(e.to));
      if (exception >= 0) {
        used.add(exception);
        continue;
      }
      violations.push({ file, line, problem: `${from} may not import ${target} (${spec}): dependencies point kit ← db ← domains ← app` });
    }
    if (LOGGED_WORKSPACES.includes(from) && !isTestCode(file)) {
      for (const [i, text] of source.split('\n').entries()) {
        if (/\bconsole\.(log|info|warn|error|debug|trace)\s*\(/.test(text) && !/^\s*(\/\/|\*)/.test(text)) {
          violations.push({ file, line: i + 1, problem: 'logs with console: use @muster/kit/log' });
        }
      }
    }
  }
  return violations.concat(
    KNOWN_EXCEPTIONS.filter((e, i) => !used.has(i) && files.has(e.from)).map((e) => ({ file: e.from, line: 0, problem: `known exception to ${e.to} no longer occurs: remove it from KNOWN_EXCEPTIONS` })),
  );
}

/** Every TypeScript file of the workspaces under `root`. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && !entry.name.startsWith('.')) walk(rel);
      } else if ((entry.name.endsWith('.ts') || entry.name.endsWith('.tsx')) && !entry.name.endsWith('.d.ts')) {
        files.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
      }
    }
  };
  for (const workspace of Object.keys(ALLOWED)) if (fs.existsSync(path.join(root, workspace, 'src'))) walk(`${workspace}/src`);
  return files;
}
