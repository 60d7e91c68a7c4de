/**
 * Style rule of the IR (docs and HELPERS: "narrow with `switch (n.op)`, no `attrs as {…}` casts"):
 * attributes are typed per op (src/ir/op-attrs.ts), so no source file may cast a node's attrs to
 * a shape of its own choosing, or cast the node to one op to read them. The only `attrs as never`
 * left are the frontend builders' generic dispatch, where op and attrs travel as separate values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `x.attrs as {…}`, `attrs as SomeAttrs`, `(node as Node<'GRU'>).attrs`; not `attrs as never`. */
const CAST = /\battrs\)?\s+as\s+(?!never\b)|\bas\s+Node<[^>]*>\)\.attrs\b/;

describe('no attrs casts in src/', () => {
  it('the pattern catches the casts it is meant to', () => {
    for (const line of [
      'const a = node.attrs as { min: number; max: number };',
      'const rank = (node.attrs as { spatialRank: number }).spatialRank;',
      'const a = node.attrs as PoolAttrs & { countIncludePad: boolean };',
      "const lbr = op === 'GRU' && (node as Node<'GRU'>).attrs.linearBeforeReset;",
    ]) {
      expect(CAST.test(line), line).toBe(true);
    }
    expect(CAST.test('const a = node.attrs;')).toBe(false);
    expect(CAST.test("const [o] = c.imp.emit(op, c.name, [x.ir], attrs as never);")).toBe(false);
  });

  it('no source file casts attrs', () => {
    const hits: string[] = [];
    for (const f of sources(SRC)) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (CAST.test(line)) hits.push(`${relative(SRC, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
