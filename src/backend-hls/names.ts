/**
 * C++ identifiers for everything named by the model. Model names (ONNX node and tensor names)
 * never reach C++ or the file system as they are: `sanitize` keeps [A-Za-z0-9_], collapses
 * runs of '_' (a double underscore is reserved in C++), never starts with a digit or '_', never
 * equals a C++ keyword or one of our own names, and is cut to a readable length. A NameTable
 * then makes names unique in the order they are asked for (suffixes _2, _3, ...), so the same
 * graph always yields the same identifiers.
 */

const KEYWORDS = new Set(
  (
    'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t class compl ' +
    'const constexpr const_cast continue decltype default delete do double dynamic_cast else enum explicit ' +
    'export extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq ' +
    'nullptr operator or or_eq private protected public register reinterpret_cast return short signed sizeof ' +
    'static static_assert static_cast struct switch template this thread_local throw true try typedef typeid ' +
    'typename union unsigned using virtual void volatile wchar_t while xor xor_eq main std hls nn2hls ' +
    'ap_int ap_uint ap_fixed ap_ufixed stream pack'
  ).split(' '),
);

const MAX_LEN = 48;

export function sanitize(name: string, fallback = 'v'): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (s === '') s = fallback;
  if (/^[0-9]/.test(s)) s = `${fallback}${s}`;
  if (s.length > MAX_LEN) s = s.slice(s.length - MAX_LEN).replace(/^_+/, '');
  if (/^[0-9]/.test(s)) s = `${fallback}${s}`;
  if (KEYWORDS.has(s) || /^NN2HLS/i.test(s)) s = `${s}_`;
  return s;
}

export class NameTable {
  private readonly used = new Set<string>();

  constructor(reserved: readonly string[] = []) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }

  /** An independent table holding the same names (renderers draw from a copy: rendering is pure). */
  clone(): NameTable {
    const t = new NameTable();
    for (const u of this.used) t.used.add(u);
    return t;
  }

  /**
   * A fresh identifier derived from `name`. Uniqueness is checked case-insensitively because
   * the names also become file names (weights/<id>.h) on case-insensitive file systems.
   */
  fresh(name: string, fallback = 'v'): string {
    const base = sanitize(name, fallback);
    let s = base;
    for (let k = 2; this.used.has(s.toLowerCase()); k++) s = `${base}_${k}`;
    this.used.add(s.toLowerCase());
    return s;
  }
}
