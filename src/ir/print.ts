/**
 * The textual form of the IR: printGraph(g) writes a graph as text that parseGraph (parse.ts)
 * reads back into an equal graph — fixed-point types, node precision (`prec`: accumulators,
 * internal types, tables) and constant contents included. It serves as the dump format of
 * `--dump-after PASS` and as the input of tests that build graphs without a frontend.
 *
 *   graph "dense" batched source "dense.onnx"
 *   input "x" %x [null,8] float32            # model name, IR value, model shape, element type
 *   output "y" %y [null,4] float32
 *   %x : float32[8] ap_fixed<16,6>
 *   %W : float32[8,4] ap_fixed<8,2> = f32[0.25, -0.5, ...]
 *   node fc = Dense(%x, %W, %B) -> (%h)
 *   node act = LeakyRelu(%h) -> (%y) {alpha: 0.1}
 *     prec {accum: ap_fixed<30,12>}
 *
 * Names are written bare when they consist of [A-Za-z0-9_./-] and do not start with -,
 * otherwise as JSON strings; an omitted optional input is `_`. Attributes and `prec` use one
 * literal syntax: numbers (shortest text that reads back to the same number; inf, -inf, nan),
 * exact integers with an `n` suffix (derived raws: 1234n), JSON strings, true/false/null,
 * fixed-point types in their C++ spelling, [lists] and
 * {key: value} records. float32 constants print the shortest decimal that rounds back to the
 * same float32, float64 ones the shortest that reads back exactly, so the round trip is exact.
 */
import { isFixedType, renderType } from './fixed.js';
import type { Graph, Node, Value } from './graph.js';

export interface PrintOptions {
  /**
   * Constants with more elements than this print as `f32 elided(N)`: readable dumps of large
   * models. Such text cannot be parsed back. Default: print everything.
   */
  readonly maxData?: number;
}

const BARE = /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/;

/** A name as the text writes it: bare when unambiguous, else a JSON string. */
export function printName(s: string): string {
  return BARE.test(s) && !s.includes('->') ? s : JSON.stringify(s);
}

/** Shortest decimal text of a double that reads back to the same double (-0, inf, nan spelled out). */
export function printNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** Shortest decimal text that rounds (as float32) back to the float32 value x. */
export function printFloat32(x: number): string {
  if (!Number.isFinite(x) || x === 0) return printNumber(x);
  for (let p = 1; p < 17; p++) {
    const s = String(Number(x.toPrecision(p)));
    if (Math.fround(Number(s)) === x) return s;
  }
  return String(x);
}

/** The literal syntax shared by attributes and `prec`. */
export function printLiteral(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return printNumber(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return String(v);
    case 'bigint':
      // Exact integers (derived raws): the `n` suffix keeps them apart from doubles.
      return `${v}n`;
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(printLiteral).join(', ')}]`;
      if (isFixedType(v)) return renderType(v);
      const fields = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k)}: ${printLiteral(x)}`);
      return `{${fields.join(', ')}}`;
    }
    default:
      throw new Error(`IR printer: cannot print a ${typeof v} (${String(v)})`);
  }
}

const ref = (v: string) => (v === '' ? '_' : `%${printName(v)}`);

function printData(d: Float32Array | Float64Array, maxData: number): string {
  const tag = d instanceof Float32Array ? 'f32' : 'f64';
  if (d.length > maxData) return `${tag} elided(${d.length})`;
  const fmt = d instanceof Float32Array ? printFloat32 : printNumber;
  const items = Array.from(d, fmt);
  // Wrapped at about 100 columns so diffs of small constants stay line-sized.
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line && line.length + it.length + 2 > 96) {
      lines.push(line);
      line = '';
    }
    line += line ? `, ${it}` : it;
  }
  if (line) lines.push(line);
  return lines.length <= 1 ? `${tag}[${lines[0] ?? ''}]` : `${tag}[\n    ${lines.join(',\n    ')}\n  ]`;
}

export function printValue(v: Value, opts: PrintOptions = {}): string {
  let s = `%${printName(v.name)} : ${v.elem}[${v.shape.join(',')}]`;
  if (v.quantized) s += ` quantized ${renderType(v.quantized)}`;
  if (v.fixed) s += ` ${renderType(v.fixed)}`;
  if (v.data) s += ` = ${printData(v.data, opts.maxData ?? Infinity)}`;
  return s;
}

export function printNode(n: Node): string {
  let s = `node ${printName(n.name)} = ${n.op}(${n.inputs.map(ref).join(', ')}) -> (${n.outputs.map(ref).join(', ')})`;
  if (Object.keys(n.attrs).length > 0) s += ` ${printLiteral(n.attrs)}`;
  if (n.prec) s += `\n  prec ${printLiteral(n.prec)}`;
  return s;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const io = (kind: string, b: Graph['inputs'][number]) =>
    `${kind} ${JSON.stringify(b.modelName)} ${ref(b.value)} ${printLiteral(b.modelShape)} ${b.elem}${b.batchAxis ? ` batch_axis ${b.batchAxis}` : ''}`;
  const lines = [
    `graph ${JSON.stringify(g.name)} ${g.batched ? 'batched' : 'unbatched'} source ${JSON.stringify(g.source)}`,
    ...g.inputs.map((b) => io('input', b)),
    ...g.outputs.map((b) => io('output', b)),
    ...[...g.values.values()].map((v) => printValue(v, opts)),
    ...g.nodes.map(printNode),
  ];
  return `${lines.join('\n')}\n`;
}
