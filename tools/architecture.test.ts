import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED, check, importsOf, readTree } from './architecture.ts';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);

describe('the package graph', () => {
  it('holds in this tree: no import against the arrows, no reaching into another package by path, no console in product code', () => {
    const violations = check(readTree(ROOT));
    expect(violations.map((v) => `${v.file}:${v.line} ${v.problem}`)).toEqual([]);
  });

  it('package.json dependencies follow the same arrows', () => {
    const problems: string[] = [];
    for (const [workspace, allowed] of Object.entries(ALLOWED)) {
      const manifest = path.join(ROOT, workspace, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
        const target = /^@muster\/(.+)$/.exec(name)?.[1];
        if (target && !allowed.includes(target)) problems.push(`${workspace} depends on ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('catches a planted cross-layer import, a reach into another package by path, and a console call', () => {
    const planted = new Map([
      ['kit/src/limits.ts', "import { Room } from '@muster/signaling';\n"],
      ['media/src/Router.ts', "import type { Board } from '../../whiteboard/src/server/Board.ts';\n"],
      ['whiteboard/src/server/Board.ts', "export const x = 1;\nconsole.log('hello');\n"],
      ['server/src/server.ts', "import { WorkerPool } from '@muster/media';\nimport { log } from '@muster/kit/log';\n"],
      ['signaling/src/rooms/Room.ts', "import { startMusterServer } from '@muster/server';\n"],
      ['db/src/Database.ts', "import { Room } from '@muster/signaling/protocol';\n"],
    ]);
    const problems = check(planted).map((v) => `${v.file}:${v.line}`);
    expect(problems).toEqual(['kit/src/limits.ts:1', 'media/src/Router.ts:1', 'whiteboard/src/server/Board.ts:2', 'signaling/src/rooms/Room.ts:1', 'db/src/Database.ts:1']);
  });

  it('reads static, dynamic and side-effect imports and re-exports', () => {
    const source = "import a from 'x';\nimport type { B } from \"y\";\nexport { c } from './z.ts';\nconst d = await import('w');\nimport 'side-effect';\n";
    expect(importsOf(source).map((i) => `${i.line}:${i.spec}`)).toEqual(['1:x', '2:y', '3:./z.ts', '4:w', '5:side-effect']);
  });
});
