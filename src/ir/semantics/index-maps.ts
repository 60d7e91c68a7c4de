/**
 * Index maps that describe data movement independently of any arithmetic, shared by the
 * fixed-point simulator and the HLS emitter so that both reduce, gather and scatter the same
 * elements: a reduction's output position for every input element.
 */

/** For each element of one sample of `shape`, its output position after reducing `axes` (negative). */
export function reduceIndexMap(shape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number; count: number } {
  const r = shape.length;
  const red = new Set(axes.map((a) => r + a));
  const kept = shape.map((d, i) => (red.has(i) ? 1 : d));
  const ks = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    ks[i] = red.has(i) ? 0 : acc;
    acc *= kept[i]!;
  }
  const n = shape.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let o = 0;
  for (let j = 0; j < n; j++) {
    map[j] = o;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      o += ks[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= ks[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return { map, outSize: acc, count: n / acc };
}
