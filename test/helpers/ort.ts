/**
 * Helpers for comparing against onnxruntime-node, shared by the oracle tests and the benchmark:
 * deterministic normal samples, and a copy of a model whose graph inputs and outputs take any
 * batch size (models exported with a fixed batch such as 789444 or 1).
 */
import onnxProto from 'onnx-proto';

/** Deterministic normal samples (Box–Muller over a small LCG) so failures reproduce. */
export function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** Makes dim 0 of every graph input and output symbolic so onnxruntime accepts any batch. */
export function freeBatch(bytes: Uint8Array): Uint8Array {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  const inits = new Set((m.graph!.initializer ?? []).map((t) => t.name));
  for (const v of [...(m.graph!.input ?? []).filter((i) => !inits.has(i.name)), ...(m.graph!.output ?? [])]) {
    const d = v.type?.tensorType?.shape?.dim?.[0];
    if (d) {
      d.dimValue = null;
      d.dimParam = 'N';
    }
  }
  m.graph!.valueInfo = []; // intermediate shapes declared for the exported batch no longer hold
  return onnxProto.onnx.ModelProto.encode(m).finish();
}
