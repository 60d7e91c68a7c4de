/**
 * Small hand-written quantized graphs for the estimator tests: one Dense layer with chosen
 * weights (so every product's mapping can be worked out by hand), at ap_fixed<16,6>.
 */
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { parseType } from '../../src/ir/fixed.js';
import { defaultConfig, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';

export function denseGraph(weights: number[][], act?: 'Relu' | 'Sigmoid', cfg: PrecisionConfig = defaultConfig(parseType('ap_fixed<16,6>'))): Graph {
  const K = weights.length;
  const M = weights[0]!.length;
  const values: Value[] = [
    { name: 'x', shape: [K], elem: 'float32' },
    { name: 'w', shape: [K, M], elem: 'float32', data: Float32Array.from(weights.flat()) },
    { name: 'h', shape: [M], elem: 'float32' },
  ];
  const nodes = [{ name: 'fc', op: 'Dense', inputs: ['x', 'w'], outputs: ['h'], attrs: {} } as unknown as Node];
  if (act) {
    values.push({ name: 'y', shape: [M], elem: 'float32' });
    nodes.push({ name: 'act', op: act, inputs: ['h'], outputs: ['y'], attrs: {} } as unknown as Node);
  }
  const vs = new Map(values.map((v) => [v.name, v]));
  const io = (v: string) => ({ modelName: v, value: v, modelShape: [null, ...vs.get(v)!.shape], elem: 'float32' as const });
  const g: Graph = { name: 'g', batched: true, values: vs, nodes, inputs: [io('x')], outputs: [io(act ? 'y' : 'h')], source: 'test' };
  return prepareFixed(g, cfg).graph;
}

/** Seeded weights in [-a, a]. */
export function randomWeights(k: number, m: number, a: number, seed = 12345): number[][] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: k }, () => Array.from({ length: m }, () => (2 * rnd() - 1) * a));
}
