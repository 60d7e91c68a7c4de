/**
 * The check of nodes' precision records (Node.prec), part of verify(): a record holds exactly the
 * fields and roles OpPrecision gives its op — every type a complete FixedType, every table a
 * TableSpec over an existing constant, every derived integer an integer — an exact
 * per-channel Quant's stored exponents are those of its scale constant, and the derived raws
 * (thresholds, clip bounds, α/β raws, ±scale levels, pad raw) are those
 * src/ir/semantics/derived-raws.ts computes from the node's attributes and types (a typed node
 * whose op has such constants must have them). The quantize pass builds
 * records per op and the IR text parser reads them as written; this is what makes both sound
 * for the simulator and the emitter, which read the records without re-deriving them.
 */
import { isFixedType } from './fixed.js';
import { type Graph, isConst, type Node, valueOf } from './graph.js';
import { type NodePrecision, type OpPrecision, precisionOf } from './precision.js';
import { type DerivedRaws, derivedRaws } from './semantics/derived-raws.js';
import { log2Exact } from './quantizer-types.js';

type RoleField = 'tables' | 'types' | 'ints' | 'raws';
/** The roles of field F of precision record P, as TypeScript knows them. */
type Roles<P, F extends RoleField> = P extends { readonly [G in F]?: infer R } ? readonly (keyof NonNullable<R> & string)[] : never;

interface PrecSpec<P> {
  readonly accum?: true;
  /** Required roles; `optional` fields may be absent altogether (Reduce Sum has no table). */
  readonly tables?: Roles<P, 'tables'>;
  readonly types?: Roles<P, 'types'>;
  readonly ints?: Roles<P, 'ints'>;
  readonly raws?: Roles<P, 'raws'>;
  readonly channels?: true;
  readonly optional?: readonly RoleField[];
  /** Further roles allowed beyond the required ones (a recurrent layer's per-direction tables and α/β types). */
  readonly extra?: { readonly [F in RoleField]?: RegExp };
}

const ACCUM: PrecSpec<OpPrecision['Dense']> = { accum: true };
const TABLE: PrecSpec<OpPrecision['Sigmoid']> = { tables: ['f'] };
const MEAN: PrecSpec<OpPrecision['AvgPool']> = { accum: true, tables: ['recip'] };
const WHOLE: PrecSpec<OpPrecision['Floor']> = { types: ['whole'] };
const RECURRENT: PrecSpec<OpPrecision['LSTM']> = {
  accum: true,
  types: ['gate', 'state', 'hidden', 'act'],
  raws: [],
  optional: ['tables', 'raws'],
  extra: { tables: /^[fgh]\d+$/, types: /^[fgh]\d+_(alpha|beta)$/, raws: /^(clip_(thr|hi|lo)|[fgh]\d+_(thr|alpha|beta))$/ },
};

const SPEC: { readonly [K in keyof OpPrecision]: PrecSpec<OpPrecision[K]> } = {
  Dense: ACCUM,
  Conv: ACCUM,
  ConvTranspose: ACCUM,
  MatMul: ACCUM,
  AvgPool: MEAN,
  GlobalAvgPool: MEAN,
  Reduce: { accum: true, tables: ['recip'], optional: ['tables'] },
  Softmax: { types: ['diff', 'sum'], tables: ['exp', 'inv'] },
  LayerNorm: { tables: ['rsqrt'], types: ['sum', 'diff', 'rstd', 'norm'], ints: ['eps', 'mant', 'hmin', 'hmax', 'vbits'] },
  Gelu: { tables: ['cdf'] },
  Floor: WHOLE,
  Ceil: WHOLE,
  Round: WHOLE,
  LeakyRelu: { types: ['alpha'], raws: ['alpha'] },
  ThresholdedRelu: { raws: ['thr'] },
  Clip: { raws: ['lo', 'hi', 'lo_out', 'hi_out'] },
  BipolarQuant: { raws: ['pos', 'neg'] },
  Pad: { raws: ['pad'] },
  LSTM: RECURRENT,
  GRU: RECURRENT,
  RNN: RECURRENT,
  Quant: { types: ['grid'], channels: true },
  QuantizeLinear: { types: ['scaled'] },
  Sigmoid: TABLE,
  Tanh: TABLE,
  Elu: TABLE,
  Selu: TABLE,
  Softplus: TABLE,
  Softsign: TABLE,
  HardSigmoid: TABLE,
  HardSwish: TABLE,
  Exp: TABLE,
  Log: TABLE,
  Sqrt: TABLE,
  Reciprocal: TABLE,
  Erf: TABLE,
  Mish: TABLE,
};

const FIELDS = ['accum', 'tables', 'types', 'ints', 'raws', 'channels'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Problems of node n's precision record (none when it has none). */
export function precProblems(g: Graph, n: Node): string[] {
  const p = precisionOf(n);
  const where = `node '${n.name}' (${n.op})`;
  if (p === undefined) {
    // A typed node whose op has derived raws cannot run without its record.
    const need = Object.prototype.hasOwnProperty.call(SPEC, n.op) ? (SPEC[n.op as keyof OpPrecision] as PrecSpec<unknown>) : undefined;
    const typed = !!n.outputs[0] && !!g.values.get(n.outputs[0])?.fixed;
    const roles: readonly string[] = need?.raws ?? [];
    if (!typed || !roles.length || need?.optional?.includes('raws')) return [];
    return [`${where}: expected a precision record with raws ${roles.join(', ')} (run the quantize pass)`];
  }
  const spec: PrecSpec<unknown> | undefined = Object.prototype.hasOwnProperty.call(SPEC, n.op) ? SPEC[n.op as keyof OpPrecision] : undefined;
  if (!spec) return [`${where}: has a precision record, but ${n.op} has none`];
  const problems: string[] = [];
  const bad = (what: string) => problems.push(`${where}: precision ${what}`);
  for (const k of Object.keys(p)) {
    if (!(FIELDS as readonly string[]).includes(k)) bad(`field '${k}' is not one of ${FIELDS.join(', ')}`);
  }
  for (const f of FIELDS) {
    const optional = f !== 'accum' && f !== 'channels' && !!spec.optional?.includes(f);
    const want = f === 'accum' || f === 'channels' ? spec[f] === true : spec[f] !== undefined;
    const has = p[f] !== undefined;
    if (has && !want && !optional) bad(`field '${f}' is not one ${n.op} has`);
    if (!has && want && !optional) bad(`field '${f}' is missing`);
  }
  if (p.accum !== undefined && !isFixedType(p.accum)) bad("'accum' is not a fixed-point type");
  const roles = (f: RoleField, ok: (v: unknown) => string | null) => {
    const rec: unknown = p[f];
    if (rec === undefined) return;
    if (!isRecord(rec)) return bad(`'${f}' is not a record`);
    const need: readonly string[] = spec[f] ?? [];
    for (const r of need) if (!(r in rec)) bad(`${f} role '${r}' is missing`);
    for (const [r, v] of Object.entries(rec)) {
      if (!need.includes(r) && !spec.extra?.[f]?.test(r)) bad(`${f} role '${r}' is not one ${n.op} has`);
      const why = ok(v);
      if (why) bad(`${f} role '${r}' ${why}`);
    }
  };
  roles('types', (v) => (isRecord(v) && isFixedType(v) ? null : 'is not a fixed-point type'));
  roles('ints', (v) => (Number.isInteger(v) ? null : 'is not an integer'));
  roles('raws', (v) => (typeof v === 'bigint' || (Array.isArray(v) && v.every((x) => typeof x === 'bigint')) ? null : 'is not an exact integer (123n) or a list of them'));
  roles('tables', (v) => {
    if (!isRecord(v)) return 'is not a table';
    const { value, inType, base, shift, size } = v;
    if (typeof value !== 'string' || !g.values.has(value) || !isConst(g.values.get(value)!)) return `names no constant ('${String(value)}')`;
    if (!isRecord(inType) || !isFixedType(inType)) return 'has no fixed-point input type';
    if (!Number.isInteger(base) || !Number.isInteger(shift) || !Number.isInteger(size) || (shift as number) < 0 || (size as number) < 1) return 'has an invalid geometry';
    return null;
  });
  if (p.channels !== undefined && n.op === 'Quant') problems.push(...channelProblems(g, n, where));
  if (!problems.length) problems.push(...rawsProblems(g, n, p, where));
  return problems;
}

const showRaw = (v: bigint | readonly bigint[] | undefined) => (v === undefined ? 'none' : typeof v === 'bigint' ? `${v}n` : `[${v.map((x) => `${x}n`).join(', ')}]`);

/**
 * The stored derived raws must be what src/ir/semantics/derived-raws.ts computes from the node's
 * attributes and types, role by role: the simulator and the emitter read them without re-deriving.
 */
function rawsProblems(g: Graph, n: Node, p: NodePrecision, where: string): string[] {
  let want: DerivedRaws | undefined;
  try {
    want = derivedRaws(n, { value: (name) => valueOf(g, name), types: p.types });
  } catch (e) {
    return p.raws === undefined ? [] : [`${where}: precision raws cannot be derived (${(e as Error).message})`];
  }
  if (!want) return [];
  const wantRoles = Object.keys(want);
  const have: { readonly [role: string]: bigint | readonly bigint[] } = p.raws ?? {};
  const problems: string[] = [];
  for (const r of new Set([...wantRoles, ...Object.keys(have)])) {
    if (showRaw(want[r]) !== showRaw(have[r])) problems.push(`${where}: expected raws.${r} = ${showRaw(want[r])} (derived from its attributes and types), got ${showRaw(have[r])}`);
  }
  return problems;
}

/** An exact per-channel Quant's exponents must be those of its scale constant, element by element. */
function channelProblems(g: Graph, n: Node<'Quant'>, where: string): string[] {
  const c = precisionOf(n)!.channels!;
  const scale = g.values.get(n.inputs[1]!);
  if (!scale || !isConst(scale)) return [`${where}: per-channel exponents without a constant scale`];
  const exps: unknown = c.exps;
  if (!Array.isArray(exps) || exps.length !== scale.data.length) {
    return [`${where}: expected ${scale.data.length} per-channel exponents (one per scale element), got ${Array.isArray(exps) ? exps.length : 'none'}`];
  }
  const problems: string[] = [];
  exps.forEach((e, i) => {
    const want = log2Exact(scale.data[i]!);
    if (e !== want) problems.push(`${where}: per-channel exponent ${i} is ${String(e)}, its scale ${scale.data[i]} is 2^${want ?? '(not a power of two)'}`);
  });
  if (!problems.length) {
    const [lo, hi] = [Math.min(...(exps as number[])), Math.max(...(exps as number[]))];
    if (c.eMin !== lo || c.eMax !== hi) problems.push(`${where}: per-channel exponent range is [${c.eMin}, ${c.eMax}], the exponents span [${lo}, ${hi}]`);
  }
  return problems;
}
