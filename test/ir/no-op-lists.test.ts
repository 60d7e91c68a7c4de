/**
 * Style rule of the IR (HELPERS: "the op registry holds per-op summary, attrs, traits…; nothing
 * else keeps lists of op names"): what passes, reports and the backend need to know about a set
 * of ops is a trait or a per-op field of the registry (src/ir/ops.ts: keepsType, selects, maxOf,
 * quantizer, weightedSum, channelsLast, range, constRoles, params, rewritten), and code narrows
 * with `switch (n.op)`. So no source file outside src/ir may hold an array (or Set) of our op
 * names, or an object keyed by them whose values are plain data. Dispatch tables — op → kernel
 * or converter function — are how the executors and frontends dispatch, and stay. The allow-list
 * names what must stay, with why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/ir/ops.js';

const SRC = join(__dirname, '../../src');
const OP_NAMES = new Set(Object.keys(OPS));

/** `file: first names` of lists that must stay, and why. */
const ALLOWED: Readonly<Record<string, string>> = {
  // Keras' gate order per cell type: a fact of the source format (ONNX block k is Keras block ORDER[k]).
  'frontend/keras/recurrent.ts: RNN,LSTM,GRU': 'Keras gate order per cell (source-format table)',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A plain data value (not a function, identifier or computed expression). */
function isData(e: ts.Expression): boolean {
  if (ts.isStringLiteral(e) || ts.isNumericLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isPrefixUnaryExpression(e)) return ts.isNumericLiteral(e.operand);
  if (ts.isArrayLiteralExpression(e)) return e.elements.every((x) => isData(x));
  if (ts.isObjectLiteralExpression(e)) return e.properties.every((p) => ts.isPropertyAssignment(p) && isData(p.initializer));
  if (ts.isAsExpression(e) || ts.isParenthesizedExpression(e)) return isData(e.expression);
  return false;
}

/** Lists of op names in one source text: `where: names` per hit. */
export function opLists(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const hits: string[] = [];
  const at = (n: ts.Node, names: string[]) => hits.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${names.join(',')}`);
  const visit = (n: ts.Node): void => {
    if (ts.isArrayLiteralExpression(n)) {
      const lits = n.elements.filter((e): e is ts.StringLiteral => ts.isStringLiteral(e));
      if (lits.length >= 2 && lits.every((e) => OP_NAMES.has(e.text))) at(n, lits.map((e) => e.text));
    }
    if (ts.isObjectLiteralExpression(n) && n.properties.length >= 2) {
      const keys = n.properties.map((p) => (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : null));
      const data = n.properties.every((p) => ts.isPropertyAssignment(p) && isData(p.initializer));
      if (data && keys.every((k) => k !== null && OP_NAMES.has(k))) at(n, keys as string[]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return hits;
}

describe('no lists of op names outside the op registry', () => {
  it('the scan catches the lists it is meant to, and leaves dispatch tables and other names alone', () => {
    expect(opLists('a.ts', "const KEEPS = new Set<OpKind>(['Reshape', 'Transpose']);")).toEqual(['a.ts:1: Reshape,Transpose']);
    expect(opLists('a.ts', "if (['Conv', 'MaxPool'].includes(n.op)) f();")).toEqual(['a.ts:1: Conv,MaxPool']);
    expect(opLists('a.ts', 'const P = {\n  Dense: [1, 2],\n  LSTM: [1, 2, 3],\n};')).toEqual(['a.ts:1: Dense,LSTM']);
    expect(opLists('a.ts', "const B = { Sigmoid: { min: 0, max: 1 }, Tanh: { min: -1, max: 1 } };")).toEqual(['a.ts:1: Sigmoid,Tanh']);
    // Dispatch tables (op -> function), other vocabularies sharing a name, single names: fine.
    expect(opLists('a.ts', 'const K = { Relu: relu, Clip: (n) => clip(n) };')).toEqual([]);
    expect(opLists('a.ts', "const kinds = { Sum: 0, Mean: 1, Max: 2, Min: 3 };")).toEqual([]);
    expect(opLists('a.ts', "const xs = ['Dense', 'dense_1'];")).toEqual([]);
    expect(opLists('a.ts', "if (n.op === 'Dense') f();")).toEqual([]);
  });

  it('no source file outside src/ir keeps one (allow-listed ones are still there)', () => {
    const hits: string[] = [];
    const allowedSeen = new Set<string>();
    for (const f of sources(SRC)) {
      const rel = relative(SRC, f);
      if (rel.startsWith('ir/') || rel.startsWith('ir\\')) continue;
      for (const h of opLists(rel, readFileSync(f, 'utf8'))) {
        const key = `${rel}: ${h.slice(h.indexOf(': ') + 2)}`;
        if (key in ALLOWED) allowedSeen.add(key);
        else hits.push(h);
      }
    }
    expect(hits).toEqual([]);
    // An allow-list entry whose list is gone is stale: remove it.
    expect([...allowedSeen].sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});
