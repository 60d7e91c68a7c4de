/**
 * Reads the textual IR written by print.ts back into a Graph (see print.ts for the syntax).
 * Statements may span lines and come in any order; within each kind (inputs, outputs, values,
 * nodes) the text order is the graph's order. `#` starts a comment to the end of the line.
 * Errors name the place (`source:line:col`) and what was expected there; the result is run
 * through the verifier, so a graph that parses is also structurally sound.
 */
import { parseType } from './fixed.js';
import type { ElemType, Graph, IoBinding, Node, Value } from './graph.js';
import { isOpKind } from './ops.js';
import type { NodePrecision } from './precision.js';
import { verify } from './verify.js';
import { NnInputError } from '../util/tensor.js';

type TokKind = 'word' | 'str' | 'type' | 'punct' | 'eof';
interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly pos: number;
}

const ELEMS: readonly ElemType[] = ['float32', 'int64', 'int32', 'int8', 'uint8', 'bool'];

function tokenize(src: string, where: (pos: number) => string): Tok[] {
  const toks: Tok[] = [];
  const re = {
    space: /\s+|#[^\n]*/y,
    type: /(?:ap_)?u?(?:fixed|int)<[^<>]*>/y,
    word: /[A-Za-z0-9_./+-]+/y,
    str: /"(?:[^"\\\n]|\\.)*"/y,
  };
  let i = 0;
  const at = (r: RegExp) => {
    r.lastIndex = i;
    const m = r.exec(src);
    return m ? m[0] : null;
  };
  while (i < src.length) {
    const sp = at(re.space);
    if (sp) {
      i += sp.length;
      continue;
    }
    if (src.startsWith('->', i)) {
      toks.push({ kind: 'punct', text: '->', pos: i });
      i += 2;
      continue;
    }
    const ty = at(re.type);
    if (ty) {
      toks.push({ kind: 'type', text: ty, pos: i });
      i += ty.length;
      continue;
    }
    const w = at(re.word);
    if (w) {
      // A word never swallows an arrow that follows without a space: `%a->` is `%a` `->`.
      const cut = w.indexOf('->');
      const text = cut > 0 ? w.slice(0, cut) : w;
      toks.push({ kind: 'word', text, pos: i });
      i += text.length;
      continue;
    }
    const s = at(re.str);
    if (s) {
      toks.push({ kind: 'str', text: s, pos: i });
      i += s.length;
      continue;
    }
    if ('()[]{},:=%'.includes(src[i]!)) {
      toks.push({ kind: 'punct', text: src[i]!, pos: i });
      i++;
      continue;
    }
    throw new NnInputError(`${where(i)}: unexpected character '${src[i]}'`);
  }
  toks.push({ kind: 'eof', text: '<end of text>', pos: src.length });
  return toks;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a word as a number (inf, -inf, nan included); undefined when it is not one. */
function wordNumber(w: string): number | undefined {
  if (w === 'inf' || w === '+inf') return Infinity;
  if (w === '-inf') return -Infinity;
  if (w === 'nan') return NaN;
  return NUMBER.test(w) ? Number(w) : undefined;
}

class Parser {
  private k = 0;
  private readonly toks: Tok[];

  constructor(
    private readonly src: string,
    private readonly source: string,
  ) {
    this.toks = tokenize(src, (p) => this.where(p));
  }

  where(pos: number): string {
    const before = this.src.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `${this.source}:${line}:${col}`;
  }

  fail(msg: string, t: Tok = this.peek()): never {
    throw new NnInputError(`${this.where(t.pos)}: ${msg}, found '${t.text}'`);
  }

  peek(): Tok {
    return this.toks[this.k]!;
  }

  next(): Tok {
    return this.toks[this.k++]!;
  }

  is(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'word') && t.text === text;
  }

  eat(text: string): void {
    if (!this.is(text)) this.fail(`expected '${text}'`);
    this.k++;
  }

  /** A bare word or a JSON string. */
  name(what: string): string {
    const t = this.peek();
    if (t.kind === 'word') return this.next().text;
    if (t.kind === 'str') return JSON.parse(this.next().text) as string;
    return this.fail(`expected ${what}`);
  }

  str(what: string): string {
    if (this.peek().kind !== 'str') this.fail(`expected ${what} as a "quoted string"`);
    return JSON.parse(this.next().text) as string;
  }

  /** `%name`, or `_` for an omitted optional input when `allowNone`. */
  ref(allowNone: boolean): string {
    if (allowNone && this.is('_')) {
      this.k++;
      return '';
    }
    this.eat('%');
    return this.name('a value name after %');
  }

  int(what: string): number {
    const t = this.peek();
    const n = t.kind === 'word' ? wordNumber(t.text) : undefined;
    if (n === undefined || !Number.isInteger(n)) this.fail(`expected ${what} (an integer)`);
    this.k++;
    return n!;
  }

  literal(): unknown {
    const t = this.peek();
    if (t.kind === 'str') return JSON.parse(this.next().text) as string;
    if (t.kind === 'type') {
      this.k++;
      try {
        return parseType(t.text);
      } catch (e) {
        throw new NnInputError(`${this.where(t.pos)}: ${(e as Error).message}`);
      }
    }
    if (t.kind === 'word') {
      this.k++;
      if (t.text === 'true') return true;
      if (t.text === 'false') return false;
      if (t.text === 'null') return null;
      if (/^[+-]?\d+n$/.test(t.text)) return BigInt(t.text.slice(0, -1));
      const n = wordNumber(t.text);
      if (n === undefined) this.fail('expected a number, string, true, false, null, type, [list] or {record}', t);
      return n;
    }
    if (this.is('[')) {
      this.k++;
      const out: unknown[] = [];
      while (!this.is(']')) {
        out.push(this.literal());
        if (!this.is(']')) this.eat(',');
      }
      this.k++;
      return out;
    }
    if (this.is('{')) {
      this.k++;
      const out: Record<string, unknown> = {};
      while (!this.is('}')) {
        const key = this.name('a field name');
        this.eat(':');
        out[key] = this.literal();
        if (!this.is('}')) this.eat(',');
      }
      this.k++;
      return out;
    }
    return this.fail('expected a literal');
  }

  elem(): ElemType {
    const t = this.peek();
    if (t.kind !== 'word' || !ELEMS.includes(t.text as ElemType)) this.fail(`expected an element type (${ELEMS.join(', ')})`);
    this.k++;
    return t.text as ElemType;
  }

  data(name: string, n: number): Float32Array | Float64Array {
    const t = this.peek();
    if (t.kind !== 'word' || (t.text !== 'f32' && t.text !== 'f64')) this.fail(`expected constant data f32[...] or f64[...] for '%${name}'`);
    this.k++;
    if (this.is('elided')) {
      throw new NnInputError(`${this.where(t.pos)}: the contents of constant '%${name}' were elided when this text was printed; it cannot be read back`);
    }
    this.eat('[');
    const xs: number[] = [];
    while (!this.is(']')) {
      const w = this.peek();
      const x = w.kind === 'word' ? wordNumber(w.text) : undefined;
      if (x === undefined) this.fail(`expected a number in the data of '%${name}'`);
      xs.push(x!);
      this.k++;
      if (!this.is(']')) this.eat(',');
    }
    this.k++;
    if (xs.length !== n) {
      throw new NnInputError(`${this.where(t.pos)}: constant '%${name}' holds ${xs.length} numbers, its shape needs ${n}`);
    }
    return t.text === 'f32' ? Float32Array.from(xs) : Float64Array.from(xs);
  }

  graph(): Graph {
    let header: { name: string; batched: boolean; source: string } | undefined;
    const inputs: IoBinding[] = [];
    const outputs: IoBinding[] = [];
    const values = new Map<string, Value>();
    const nodes: Node[] = [];
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (this.is('graph')) {
        if (header) this.fail('a second graph header');
        this.k++;
        const name = this.str('the graph name');
        const b = this.name("'batched' or 'unbatched'");
        if (b !== 'batched' && b !== 'unbatched') this.fail("expected 'batched' or 'unbatched'", this.toks[this.k - 1]);
        this.eat('source');
        header = { name, batched: b === 'batched', source: this.str('the source') };
      } else if (this.is('input') || this.is('output')) {
        this.k++;
        const modelName = this.str('the model name');
        const value = this.ref(false);
        const shapeTok = this.peek();
        const shape = this.literal();
        if (!Array.isArray(shape) || shape.some((d) => d !== null && !Number.isInteger(d))) {
          this.fail('expected the model shape as a list of integers or null', shapeTok);
        }
        const elem = this.elem();
        let batchAxis: number | undefined;
        if (this.is('batch_axis')) {
          this.k++;
          const at = this.peek();
          const v = this.literal();
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail('expected the batch axis as a positive integer', at);
          batchAxis = v as number;
        }
        (t.text === 'input' ? inputs : outputs).push({ modelName, value, modelShape: shape as (number | null)[], elem, ...(batchAxis ? { batchAxis } : {}) });
      } else if (this.is('%')) {
        const name = this.ref(false);
        if (values.has(name)) this.fail(`value '%${name}' declared twice`, t);
        this.eat(':');
        const elem = this.elem();
        this.eat('[');
        const shape: number[] = [];
        while (!this.is(']')) {
          shape.push(this.int('a dimension'));
          if (!this.is(']')) this.eat(',');
        }
        this.k++;
        let v: Value = { name, shape, elem };
        if (this.is('quantized')) {
          this.k++;
          v = { ...v, quantized: this.literal() as Value['quantized'] };
        }
        if (this.peek().kind === 'type') v = { ...v, fixed: this.literal() as Value['fixed'] };
        if (this.is('=')) {
          this.k++;
          v = { ...v, data: this.data(name, shape.reduce((p, d) => p * d, 1)) };
        }
        values.set(name, v);
      } else if (this.is('node')) {
        this.k++;
        const name = this.name('a node name');
        this.eat('=');
        const opTok = this.peek();
        const op = this.name('an op');
        if (!isOpKind(op)) this.fail('expected an op of the registry (src/ir/ops.ts)', opTok);
        const list = (allowNone: boolean) => {
          this.eat('(');
          const out: string[] = [];
          while (!this.is(')')) {
            out.push(this.ref(allowNone));
            if (!this.is(')')) this.eat(',');
          }
          this.k++;
          return out;
        };
        const ins = list(true);
        this.eat('->');
        const outs = list(true);
        let attrs: object = {};
        if (this.is('{')) attrs = this.literal() as object;
        let prec: NodePrecision | undefined;
        if (this.is('prec')) {
          this.k++;
          if (!this.is('{')) this.fail("expected a {record} after 'prec'");
          prec = this.literal() as NodePrecision;
        }
        // Attributes are whatever the text says; the verifier below checks them through shape inference.
        const node = { name, op, inputs: ins, outputs: outs, attrs, ...(prec ? { prec } : {}) } as Node;
        nodes.push(node);
      } else {
        this.fail("expected a statement: 'graph', 'input', 'output', '%value' or 'node'");
      }
    }
    if (!header) throw new NnInputError(`${this.source}: no 'graph' header`);
    return { name: header.name, batched: header.batched, values, nodes, inputs, outputs, source: header.source };
  }
}

/** Parses IR text (print.ts) into a verified graph; `source` names the text in errors. */
export function parseGraph(text: string, source = '<ir>'): Graph {
  return verify(new Parser(text, source).graph());
}
