/**
 * verify(graph): the one structural check of the IR, run by tests after every pass and by the
 * frontend before handing a graph on. It checks that nodes are in topological order and refer
 * to existing values, that every op's arity and attributes fit the registry, that stored shapes
 * equal what shape inference computes, that constants hold exactly as many elements as their
 * shape says, that in a batched graph no op could mix samples, and that precision records have
 * their op's shape (verify-prec.ts). Errors read
 * `node 'fc1' (Dense): expected ...` and are collected, not thrown one at a time.
 */
import { type Graph, isConst, numel, type Value } from './graph.js';
import { inferNode, OPS } from './ops.js';
import { precProblems } from './verify-prec.js';

export class VerifyError extends Error {
  constructor(readonly problems: string[]) {
    super(`IR verification failed:\n  ${problems.join('\n  ')}`);
    this.name = 'VerifyError';
  }
}

/** Ops whose second..n-th inputs must be constants in this IR. */
const CONST_INPUTS: Partial<Record<string, number[]>> = {
  Dense: [1, 2],
  Affine: [1, 2],
  Quant: [1, 2, 3],
  BipolarQuant: [1],
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
};

/** Ops where two dynamic operands are combined elementwise and must then share one rank in a batched graph. */
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'PRelu', 'MatMul']);

export function verifyProblems(g: Graph): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  for (const [name, v] of g.values) {
    if (v.name !== name) problems.push(`value '${name}': stored under a different name '${v.name}'`);
    if (isConst(v)) {
      defined.add(name);
      if (v.data.length !== numel(v.shape)) {
        problems.push(`constant '${name}': holds ${v.data.length} elements, shape [${v.shape.join(',')}] needs ${numel(v.shape)}`);
      }
    }
    if (v.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      problems.push(`value '${name}': invalid shape [${v.shape.join(',')}]`);
    }
  }
  for (const io of g.inputs) {
    if (!g.values.has(io.value)) problems.push(`graph input '${io.modelName}': value '${io.value}' missing`);
    defined.add(io.value);
  }
  const nodeNames = new Set<string>();
  for (const n of g.nodes) {
    const where = `node '${n.name}' (${n.op})`;
    if (nodeNames.has(n.name)) problems.push(`${where}: duplicate node name`);
    nodeNames.add(n.name);
    const info = OPS[n.op];
    if (!info) {
      problems.push(`${where}: unknown op`);
      continue;
    }
    const [lo, hi] = info.arity;
    if (n.inputs.length < lo || n.inputs.length > hi) {
      problems.push(`${where}: expected ${lo === hi ? lo : `${lo}..${hi}`} inputs, got ${n.inputs.length}`);
      continue;
    }
    const ins: (Value | undefined)[] = [];
    let ok = true;
    n.inputs.forEach((name, i) => {
      if (name === '') {
        ins.push(undefined);
        return;
      }
      const v = g.values.get(name);
      if (!v) problems.push(`${where}: input ${i} '${name}' does not exist`);
      else if (!defined.has(name)) problems.push(`${where}: input ${i} '${name}' is used before it is produced`);
      if (!v) ok = false;
      ins.push(v);
    });
    for (const i of CONST_INPUTS[n.op] ?? []) {
      const v = ins[i];
      if (v && !isConst(v)) problems.push(`${where}: expected input ${i} '${v.name}' to be a constant`);
    }
    if (g.batched && BROADCASTING.has(n.op)) {
      const dyn = ins.filter((v): v is Value => !!v && !isConst(v));
      if (dyn.length === 2 && dyn[0]!.shape.length !== dyn[1]!.shape.length) {
        problems.push(`${where}: expected dynamic operands of equal rank in a batched graph, got [${dyn[0]!.shape}] and [${dyn[1]!.shape}]`);
      }
      for (const v of ins) {
        const other = dyn[0];
        if (v && isConst(v) && other && v.shape.length > other.shape.length) {
          problems.push(`${where}: expected constant '${v.name}' of rank <= ${other.shape.length} (it would broadcast over the batch)`);
        }
      }
    }
    if (!ok) continue;
    problems.push(...precProblems(g, n));
    try {
      const inferred = inferNode(n, ins);
      const [olo, ohi] = info.outputs;
      if (n.outputs.length < olo || n.outputs.length > ohi) {
        problems.push(`${where}: expected ${olo}..${ohi} outputs, got ${n.outputs.length}`);
      }
      n.outputs.forEach((o, i) => {
        if (o === '') return;
        const v = g.values.get(o);
        if (!v) {
          problems.push(`${where}: output '${o}' has no value`);
          return;
        }
        if (defined.has(o)) problems.push(`${where}: output '${o}' is defined twice`);
        defined.add(o);
        const want = inferred[i];
        if (want && want.shape.join(',') !== v.shape.join(',')) {
          problems.push(`${where}: expected output '${o}' shape [${want.shape.join(',')}], stored [${v.shape.join(',')}]`);
        }
        if (isConst(v)) problems.push(`${where}: output '${o}' is marked constant`);
      });
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
  }
  for (const io of g.outputs) {
    if (!defined.has(io.value)) problems.push(`graph output '${io.modelName}': value '${io.value}' is never produced`);
  }
  return problems;
}

/** Throws VerifyError listing every problem; returns the graph so calls can be chained. */
export function verify(g: Graph): Graph {
  const problems = verifyProblems(g);
  if (problems.length) throw new VerifyError(problems);
  return g;
}
