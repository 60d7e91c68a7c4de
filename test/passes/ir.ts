/**
 * Helpers for the pass tests: a compact way to write a batched IR graph by hand (values by
 * name, nodes in order, inputs and outputs by value name), and a float comparison of two
 * graphs on the same inputs via the float reference executor.
 */
import { expect } from 'vitest';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import type { OpAttrs, OpKind } from '../../src/ir/ops.js';
import { runFloat } from '../../src/sim/float/executor.js';

export function dyn(name: string, shape: number[]): Value {
  return { name, shape, elem: 'float32' };
}

export function konst(name: string, shape: number[], data: number[]): Value {
  return { name, shape, elem: 'float32', data: Float32Array.from(data) };
}

export function graph(values: Value[], nodes: Node[], inputs: string[], outputs: string[]): Graph {
  const vs = new Map(values.map((v) => [v.name, v]));
  const io = (name: string) => ({ modelName: `m_${name}`, value: name, modelShape: [null, ...vs.get(name)!.shape], elem: 'float32' as const });
  return { name: 'g', batched: true, values: vs, nodes, inputs: inputs.map(io), outputs: outputs.map(io), source: 'test' };
}

/** Attribute argument of `node`: optional for ops without attributes, else exactly OpAttrs[K]. */
type AttrsArg<K extends OpKind> = Record<string, never> extends OpAttrs[K] ? [attrs?: OpAttrs[K]] : [attrs: OpAttrs[K]];

/**
 * One node of op K with attributes typed by the op registry, so a misspelled or missing
 * attribute is a compile error (checked by `npm run typecheck`), not a silently odd test graph.
 */
export function node<K extends OpKind>(name: string, op: K, inputs: readonly string[], outputs: readonly string[], ...[attrs]: AttrsArg<K>): Node<K> {
  const n = { name, op, inputs, outputs, attrs: attrs ?? ({} as OpAttrs[K]) };
  return n as Node<K>;
}

/** Runs both graphs on the same inputs and checks every output agrees within float32 rounding. */
export function expectSameFloat(before: Graph, after: Graph, inputs: Float32Array[], batch: number, relTol = 1e-5): void {
  const ins = before.inputs.map((io, i) => ({ shape: [batch, ...before.values.get(io.value)!.shape], data: inputs[i]! }));
  const a = runFloat(before, ins);
  const b = runFloat(after, ins);
  expect(b.length).toBe(a.length);
  a.forEach((t, k) => {
    expect(b[k]!.shape).toEqual(t.shape);
    const scale = Math.max(1, ...Array.from(t.data, Math.abs));
    t.data.forEach((v, i) => expect(Math.abs(b[k]!.data[i]! - v)).toBeLessThanOrEqual(relTol * scale));
  });
}

export const ops = (g: Graph) => g.nodes.map((n) => n.op);
