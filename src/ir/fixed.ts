/**
 * Fixed-point type values for the IR: an immutable, validated description of a Xilinx
 * `ap_fixed<W,I,Q,O,N>` / `ap_ufixed<...>` / `ap_int<W>` / `ap_uint<W>` type, plus its exact C++
 * spelling (renderType) and a tolerant parser of that spelling (parseType). An integer type is
 * simply a fixed type with int === width and default modes, because that is how it behaves
 * numerically (same grid, same range, same result types of + - *); renderType prints it as
 * `ap_int<W>` so the emitted C++ reads naturally. Only trailing default template arguments are
 * omitted when rendering, because C++ template arguments are positional: a non-default overflow
 * mode forces the quantization mode to be spelled out, and N forces both.
 */

export type QMode = 'AP_TRN' | 'AP_TRN_ZERO' | 'AP_RND' | 'AP_RND_ZERO' | 'AP_RND_INF' | 'AP_RND_MIN_INF' | 'AP_RND_CONV';
export type OMode = 'AP_WRAP' | 'AP_SAT' | 'AP_SAT_ZERO' | 'AP_SAT_SYM';

export const Q_MODES: readonly QMode[] = Object.freeze([
  'AP_TRN', 'AP_TRN_ZERO', 'AP_RND', 'AP_RND_ZERO', 'AP_RND_INF', 'AP_RND_MIN_INF', 'AP_RND_CONV',
] as const);
export const O_MODES: readonly OMode[] = Object.freeze(['AP_WRAP', 'AP_SAT', 'AP_SAT_ZERO', 'AP_SAT_SYM'] as const);

/**
 * Largest width accepted. The headers default AP_INT_MAX_W to 1024 but allow raising it; 4096
 * leaves room for full-precision products of wide accumulators without pretending to be unbounded.
 */
export const MAX_WIDTH = 4096;
/**
 * Widest type a model may use, given or derived (accumulators, products): the Xilinx headers'
 * default AP_INT_MAX_W. Wider types compile only with that macro raised, and no real network needs them.
 */
export const HLS_MAX_WIDTH = 1024;
/** Bound on |int|: keeps every shift the simulator does finite and small, yet allows i > w and i < 0. */
export const MAX_INT_MAGNITUDE = 2 * MAX_WIDTH;

export interface FixedType {
  /** Total bits W (sign included), 1..MAX_WIDTH. */
  readonly width: number;
  /** Integer bits I (sign included); may be <= 0 or > width. One LSB is 2^(int - width). */
  readonly int: number;
  readonly signed: boolean;
  readonly q: QMode;
  readonly o: OMode;
  /** Saturation bits for AP_WRAP (0..width); ignored by the library for the other modes. */
  readonly n: number;
}

export interface FixedOpts {
  signed?: boolean;
  q?: QMode;
  o?: OMode;
  n?: number;
}

const EXAMPLES =
  "valid examples: 'ap_fixed<16,6>', 'ap_fixed<16,6,AP_RND_CONV,AP_SAT>', 'ap_fixed<8,3,AP_RND,AP_WRAP,2>', " +
  "'ap_ufixed<8,0>', 'ap_int<8>', 'ap_uint<4>', 'fixed<16,6>', 'ufixed<8,0>', 'int<8>', 'uint<8>'";

/** Builds a frozen FixedType after checking every field; signed defaults to true, modes to AP_TRN/AP_WRAP/0. */
export function fixedType(width: number, int: number, opts: FixedOpts = {}): FixedType {
  const signed = opts.signed ?? true;
  const q = opts.q ?? 'AP_TRN';
  const o = opts.o ?? 'AP_WRAP';
  const n = opts.n ?? 0;
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
    throw new Error(`fixed-point width must be an integer in 1..${MAX_WIDTH}, got ${width}`);
  }
  if (!Number.isInteger(int) || Math.abs(int) > MAX_INT_MAGNITUDE) {
    throw new Error(`fixed-point integer bits must be an integer in -${MAX_INT_MAGNITUDE}..${MAX_INT_MAGNITUDE}, got ${int}`);
  }
  if (typeof signed !== 'boolean') throw new Error(`fixed-point 'signed' must be a boolean, got ${String(signed)}`);
  if (!Q_MODES.includes(q)) throw new Error(`unknown quantization mode '${String(q)}'; expected one of ${Q_MODES.join(', ')}`);
  if (!O_MODES.includes(o)) throw new Error(`unknown overflow mode '${String(o)}'; expected one of ${O_MODES.join(', ')}`);
  if (!Number.isInteger(n) || n < 0 || n > width) {
    throw new Error(`saturation bits N must be an integer in 0..width (${width}), got ${n}`);
  }
  return Object.freeze({ width, int, signed, q, o, n });
}

/** ap_int<w> (signed) or ap_uint<w>. */
export function intType(width: number, signed = true): FixedType {
  return fixedType(width, width, { signed });
}

/** Number of fraction bits F = width - int; negative when int > width. */
export function fracBits(t: FixedType): number {
  return t.width - t.int;
}

export function isDefaultModes(t: FixedType): boolean {
  return t.q === 'AP_TRN' && t.o === 'AP_WRAP' && t.n === 0;
}

/** The same type with default modes: what the library's arithmetic result types carry. */
export function withDefaultModes(t: FixedType): FixedType {
  return isDefaultModes(t) ? t : fixedType(t.width, t.int, { signed: t.signed });
}

/** Exact C++ spelling; trailing default template arguments are left out (see the file comment). */
export function renderType(t: FixedType): string {
  if (t.int === t.width && isDefaultModes(t)) return `${t.signed ? 'ap_int' : 'ap_uint'}<${t.width}>`;
  const args: (string | number)[] = [t.width, t.int];
  if (t.n !== 0) args.push(t.q, t.o, t.n);
  else if (t.o !== 'AP_WRAP') args.push(t.q, t.o);
  else if (t.q !== 'AP_TRN') args.push(t.q);
  return `${t.signed ? 'ap_fixed' : 'ap_ufixed'}<${args.join(',')}>`;
}

function parseInteger(s: string, what: string, src: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`bad ${what} '${s}' in type '${src}': expected an integer; ${EXAMPLES}`);
  return Number(s);
}

function parseMode<M extends string>(s: string, modes: readonly M[], what: string, src: string): M {
  const up = s.toUpperCase();
  const name = up.startsWith('AP_') ? up : `AP_${up}`;
  const found = modes.find((m) => m === name);
  if (found === undefined) {
    throw new Error(`unknown ${what} mode '${s}' in type '${src}': expected one of ${modes.join(', ')}; ${EXAMPLES}`);
  }
  return found;
}

/**
 * Parses the C++ spelling (and the shorthands without the `ap_` prefix). Mode names are
 * case-insensitive and may omit the `AP_` prefix; whitespace anywhere is ignored.
 */
export function parseType(s: string): FixedType {
  if (typeof s !== 'string') throw new Error(`type must be a string, got ${typeof s}; ${EXAMPLES}`);
  const src = s.trim();
  const compact = src.replace(/\s+/g, '');
  const m = /^(?:ap_)?(fixed|ufixed|int|uint)<([^<>]*)>$/i.exec(compact);
  if (m === null) {
    throw new Error(`cannot parse fixed-point type '${src}': expected ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<...>, ap_int<W> or ap_uint<W>; ${EXAMPLES}`);
  }
  const kind = m[1]!.toLowerCase();
  const args = m[2]! === '' ? [] : m[2]!.split(',');
  if (args.some((a) => a === '')) throw new Error(`empty template argument in type '${src}'; ${EXAMPLES}`);
  const signed = kind === 'fixed' || kind === 'int';
  try {
    if (kind === 'int' || kind === 'uint') {
      if (args.length !== 1) {
        throw new Error(`'${kind === 'int' ? 'ap_int' : 'ap_uint'}' takes exactly one argument (the width), got ${args.length} in '${src}'; ${EXAMPLES}`);
      }
      return intType(parseInteger(args[0]!, 'width', src), signed);
    }
    if (args.length < 2 || args.length > 5) {
      throw new Error(`'${signed ? 'ap_fixed' : 'ap_ufixed'}' takes 2 to 5 arguments <W,I,Q,O,N>, got ${args.length} in '${src}'; ${EXAMPLES}`);
    }
    const width = parseInteger(args[0]!, 'width', src);
    const int = parseInteger(args[1]!, 'integer bits', src);
    const q = args.length > 2 ? parseMode(args[2]!, Q_MODES, 'quantization', src) : 'AP_TRN';
    const o = args.length > 3 ? parseMode(args[3]!, O_MODES, 'overflow', src) : 'AP_WRAP';
    const n = args.length > 4 ? parseInteger(args[4]!, 'saturation bits', src) : 0;
    return fixedType(width, int, { signed, q, o, n });
  } catch (e) {
    const msg = (e as Error).message;
    // Errors from fixedType() do not know the source text; add it and the examples.
    throw new Error(msg.includes(EXAMPLES) ? msg : `${msg} in type '${src}'; ${EXAMPLES}`);
  }
}

export function sameType(a: FixedType, b: FixedType): boolean {
  return a.width === b.width && a.int === b.int && a.signed === b.signed && a.q === b.q && a.o === b.o && a.n === b.n;
}

/** Whether a plain object (from the IR text, say) is a complete FixedType record. */
export function isFixedType(v: object): v is FixedType {
  const o = v as Record<string, unknown>;
  return (
    Object.keys(o).length === 6 &&
    typeof o['width'] === 'number' &&
    typeof o['int'] === 'number' &&
    typeof o['signed'] === 'boolean' &&
    Q_MODES.includes(o['q'] as never) &&
    O_MODES.includes(o['o'] as never) &&
    typeof o['n'] === 'number'
  );
}
