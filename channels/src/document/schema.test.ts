/**
 * `@muster/channels/document` is the web editor's schema too: it must load
 * in a browser (no Node built-ins, nothing but ProseMirror's model, the
 * files contract and zod), and its `toDOM` — how the editor and the reader
 * render — must build only the schema's elements with the schema's
 * attributes, links only as http(s) with a safe rel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Node as PmNode, type DOMOutputSpec } from 'prosemirror-model';
import { describe, expect, it } from 'vitest';
import { articleSchema } from './schema.ts';
import { validateDocument } from './validate.ts';

const HERE = path.dirname(new URL(import.meta.url).pathname);

function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm), ...source.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('the document module', () => {
  it('imports nothing a browser lacks: only ProseMirror’s model, the files contract (zod) and itself', () => {
    const files = fs.readdirSync(HERE).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.sort()).toEqual(['index.ts', 'render.ts', 'schema.ts', 'text.ts', 'validate.ts']);
    for (const file of files) {
      for (const specifier of importsOf(path.join(HERE, file))) {
        expect(['prosemirror-model', '@muster/files/protocol'].includes(specifier) || specifier.startsWith('./'), `${file} imports ${specifier}`).toBe(true);
      }
      expect(fs.readFileSync(path.join(HERE, file), 'utf8'), file).not.toMatch(/\b(Buffer|process|require)\b[.(]/);
    }
    const filesProtocol = path.resolve(HERE, '../../../files/src/protocol.ts');
    expect(importsOf(filesProtocol)).toEqual(['zod']);
  });

  it('renders, through toDOM, only the schema’s elements and attributes', () => {
    const checked = validateDocument({
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: 'h' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'a', marks: [{ type: 'link', attrs: { href: 'https://example.org/' } }, { type: 'strong' }, { type: 'em' }, { type: 'underline' }, { type: 'strike' }, { type: 'code' }] }, { type: 'hard_break' }] },
        { type: 'blockquote', content: [{ type: 'paragraph' }] },
        { type: 'ordered_list', attrs: { order: 4 }, content: [{ type: 'list_item', content: [{ type: 'paragraph' }] }] },
        { type: 'bullet_list', content: [{ type: 'list_item', content: [{ type: 'paragraph' }] }] },
        { type: 'horizontal_rule' },
        { type: 'image', attrs: { fileId: 'flAAAAAAAAAAAAAAAAAAAA', alt: '" onerror="x' } },
        { type: 'video', attrs: { fileId: 'flAAAAAAAAAAAAAAAAAAAA' } },
        { type: 'audio', attrs: { fileId: 'flAAAAAAAAAAAAAAAAAAAA' } },
      ],
    });
    if (!checked.ok) throw new Error(checked.reason);
    const tags = new Set(['p', 'h1', 'h2', 'h3', 'blockquote', 'ul', 'ol', 'li', 'hr', 'br', 'img', 'video', 'audio', 'a', 'strong', 'em', 'u', 's', 'code']);
    const attributes = new Set(['href', 'rel', 'target', 'alt', 'data-file-id', 'controls', 'start']);
    const specs: DOMOutputSpec[] = [];
    PmNode.fromJSON(articleSchema, checked.doc).descendants((node) => {
      if (node.type.spec.toDOM) specs.push(node.type.spec.toDOM(node));
      for (const mark of node.marks) specs.push(mark.type.spec.toDOM!(mark, true));
      return true;
    });
    expect(specs.length).toBeGreaterThan(15);
    for (const spec of specs) {
      expect(Array.isArray(spec), JSON.stringify(spec)).toBe(true);
      const [tag, maybeAttrs] = spec as [string, unknown];
      expect(tags.has(tag), tag).toBe(true);
      if (maybeAttrs && typeof maybeAttrs === 'object' && !Array.isArray(maybeAttrs)) {
        for (const [name, value] of Object.entries(maybeAttrs)) {
          expect(attributes.has(name), `${tag} ${name}`).toBe(true);
          if (name === 'href') expect(value).toMatch(/^https?:\/\//);
          if (name === 'rel') expect(value).toBe('noopener noreferrer nofollow');
        }
      }
    }
  });
});
