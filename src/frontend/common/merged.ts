/**
 * Batch-merged tensors (importer.ts `Merged`): the layouts PyTorch's multi-head attention
 * passes through when exported with a dynamic batch — [N, T, E] transposed to [T, N, E],
 * reshaped to [T, N·heads, d], transposed to [N·heads, T, d] for the batched products, and back
 * through [T·N, E] to the output projection. The IR describes one sample, so such a tensor is
 * kept as an IR value (batch in front) plus a record of which of its dims, in which order, make
 * up each model dim. Reshapes regroup that record (splitting or merging IR dims in place where
 * needed), Transposes reorder its groups, and the few ops attention applies to these tensors
 * work per sample on the IR value: a batched MatMul whose batch dims lead with the batch, a
 * Dense over the last dim, Softmax over the last dim, arithmetic with a scalar. Anything else
 * refuses the batched import (BatchCrossing), which then retries without a batch dim as before.
 *
 * Canonical form (what every function here returns): each model dim without the batch is one
 * IR dim; the model dim holding the batch is [a] N [b] with a and b at most one IR dim each.
 * A tensor whose every model dim is one IR dim is returned as a plain Dyn.
 */
import { numel } from '../../ir/graph.js';
import type { Ctx } from './context.js';
import { BATCH, type Dyn, identity, isIdentity, type Merged, type MVal, type OVal } from './importer.js';

type Laid = Dyn | Merged;

/** k when `d` is k·BATCH (k >= 1, a model dim holding the batch), else 0. */
export function batchFactor(d: number): number {
  if (d === BATCH) return 1;
  if (d >= -1 || !Number.isInteger(d / BATCH)) return 0;
  const k = d / BATCH;
  return k >= 1 ? k : 0;
}

/** A model dim as text, the batch as N. */
export function dimText(d: number): string {
  const k = batchFactor(d);
  return k === 0 ? String(d) : k === 1 ? 'N' : `${k}·N`;
}

function groupsOf(v: Laid): readonly number[] {
  return v.kind === 'merged' ? v.groups : v.perm.map(() => 1);
}

/** Sizes of the IR value's dims with the batch (as BATCH) in front. */
function fullDims(c: Ctx, ir: string): number[] {
  return [BATCH, ...c.imp.irShape(ir)];
}

/** Model shape of a batch-merged tensor (the batch dim as k·BATCH). */
export function mergedShape(c: Ctx, v: Merged): number[] {
  const full = fullDims(c, v.ir);
  const out: number[] = [];
  let a = 0;
  for (const g of v.groups) {
    let p = 1;
    for (let j = 0; j < g; j++) p *= full[v.perm[a++]!]!;
    out.push(p);
  }
  return out;
}

/** Start index (in perm) of each group. */
function starts(groups: readonly number[]): number[] {
  const s: number[] = [];
  let a = 0;
  for (const g of groups) {
    s.push(a);
    a += g;
  }
  return s;
}

/**
 * The canonical value for IR value `ir` laid out by `perm` and grouped by `groups`: moves the
 * IR to the sample-major order (batch first, other dims in model order) when some group's
 * dims are not consecutive in the IR, then merges each run of a group's non-batch dims into
 * one IR dim (an IR Reshape, which keeps the element order).
 */
function canonical(c: Ctx, ir: string, perm: readonly number[], groups: readonly number[]): Laid {
  const imp = c.imp;
  const st = starts(groups);
  /** The runs of IR-full dims to merge: each group's non-batch dims before and after the batch. */
  const runs = (p: readonly number[]): number[][] => {
    const out: number[][] = [];
    groups.forEach((g, gi) => {
      let cur: number[] = [];
      for (let j = 0; j < g; j++) {
        const d = p[st[gi]! + j]!;
        if (d === 0) {
          if (cur.length) out.push(cur);
          cur = [];
        } else cur.push(d);
      }
      if (cur.length) out.push(cur);
    });
    return out;
  };
  const consecutive = (r: readonly number[]) => r.every((d, i) => i === 0 || d === r[i - 1]! + 1);
  let curIr = ir;
  let curPerm = [...perm];
  if (!runs(curPerm).every(consecutive)) {
    // Sample-major: IR-full order = batch, then the other dims in transposed order.
    const order = [0, ...curPerm.filter((d) => d !== 0)];
    const own = order.slice(1).map((d) => d - 1);
    if (!isIdentity(own)) curIr = imp.emit('Transpose', `${c.name}_relayout`, [curIr], { perm: own })[0]!;
    const pos = new Map(order.map((d, i) => [d, i]));
    curPerm = curPerm.map((d) => pos.get(d)!);
  }
  // Merge each run into its first dim's place.
  const full = fullDims(c, curIr);
  const rs = runs(curPerm).sort((x, y) => x[0]! - y[0]!);
  const newIndex = new Map<number, number>([[0, 0]]);
  const shape: number[] = [];
  for (const r of rs) {
    newIndex.set(r[0]!, shape.length + 1);
    shape.push(r.reduce((p, d) => p * full[d]!, 1));
  }
  const newPerm: number[] = [];
  const newGroups: number[] = [];
  groups.forEach((g, gi) => {
    let n = 0;
    for (let j = 0; j < g; j++) {
      const d = curPerm[st[gi]! + j]!;
      if (newIndex.has(d)) {
        newPerm.push(newIndex.get(d)!);
        n++;
      }
    }
    newGroups.push(n);
  });
  const own = full.slice(1);
  if (shape.length !== own.length || shape.some((d, i) => d !== own[i])) curIr = imp.emit('Reshape', c.name, [curIr], { shape })[0]!;
  if (newGroups.some((g) => g === 0)) throw new Error(`internal: empty group in ${c.where}`);
  if (newGroups.every((g) => g === 1)) return { kind: 'dyn', ir: curIr, perm: newPerm };
  return { kind: 'merged', ir: curIr, perm: newPerm, groups: newGroups };
}

/**
 * Reshape of a batched computed tensor to a model target in which one dim holds the batch,
 * possibly merged with others (k·BATCH). Null when the target cannot be reached per sample
 * (the caller then refuses the batched import).
 */
export function regroup(c: Ctx, x: Laid, target: readonly number[]): Laid | null {
  const imp = c.imp;
  const full = fullDims(c, x.ir);
  const atoms = x.perm.map((d) => full[d]!);
  // Refinement: each target dim takes whole atoms or the major part of one (splitting its IR dim).
  const parts: { src: number; size: number }[] = [];
  const groups: number[] = [];
  let ai = 0;
  let rem = atoms.length ? atoms[0]! : 1;
  const next = () => {
    ai++;
    rem = ai < atoms.length ? atoms[ai]! : 1;
  };
  for (const t of target) {
    const k = batchFactor(t);
    let need = k > 0 ? k : t;
    let wantB = k > 0;
    let n = 0;
    if (need < 1 || !Number.isInteger(need)) return null;
    while (need > 1 || wantB) {
      if (ai >= atoms.length) return null;
      if (x.perm[ai] === 0) {
        if (!wantB) return null;
        parts.push({ src: ai, size: BATCH });
        wantB = false;
        n++;
        next();
      } else if (need === 1 && rem !== 1) {
        // Only the batch is missing, and a dim of another size comes first: samples would mix.
        return null;
      } else if (need % rem === 0) {
        parts.push({ src: ai, size: rem });
        need /= rem;
        n++;
        next();
      } else if (rem % need === 0) {
        parts.push({ src: ai, size: need });
        rem /= need;
        need = 1;
        n++;
      } else return null;
    }
    // A dim of size 1 takes an atom of size 1 when one comes next, else a new unit dim.
    if (n === 0) {
      if (ai < atoms.length && x.perm[ai] !== 0 && atoms[ai] === 1) {
        parts.push({ src: ai, size: 1 });
        next();
      } else parts.push({ src: -1, size: 1 });
      n = 1;
    }
    groups.push(n);
  }
  // Atoms of size 1 left over join the last dim.
  for (; ai < atoms.length; next()) {
    if (x.perm[ai] === 0 || atoms[ai] !== 1 || groups.length === 0) return null;
    parts.push({ src: ai, size: 1 });
    groups[groups.length - 1]!++;
  }
  // New IR: every IR dim replaced by its parts (major first), unit dims at the end.
  const byIr = new Map<number, number[]>();
  parts.forEach((p, i) => {
    if (p.src < 0) return;
    const d = x.perm[p.src]!;
    byIr.set(d, [...(byIr.get(d) ?? []), i]);
  });
  const index = new Array<number>(parts.length);
  const shape: number[] = [];
  for (let d = 1; d < full.length; d++) {
    const ps = byIr.get(d) ?? [];
    if (ps.length === 0) return null;
    for (const i of ps) {
      index[i] = shape.length + 1;
      shape.push(parts[i]!.size);
    }
  }
  parts.forEach((p, i) => {
    if (p.src === -1) {
      index[i] = shape.length + 1;
      shape.push(1);
    } else if (p.size === BATCH) index[i] = 0;
  });
  if (numel(shape) !== numel(full.slice(1))) return null;
  const own = full.slice(1);
  let ir = x.ir;
  if (shape.length !== own.length || shape.some((d, i) => d !== own[i])) ir = imp.emit('Reshape', `${c.name}_split`, [ir], { shape })[0]!;
  return canonical(c, ir, index, groups);
}

/** A model Transpose of a batch-merged tensor: its groups change order. */
export function transposeMerged(x: Merged, tp: readonly number[]): Merged {
  const st = starts(x.groups);
  const perm: number[] = [];
  for (const g of tp) for (let j = 0; j < x.groups[g]!; j++) perm.push(x.perm[st[g]! + j]!);
  return { kind: 'merged', ir: x.ir, perm, groups: tp.map((g) => x.groups[g]!) };
}

/** True when model dim `g` of `x` is one IR dim other than the batch. */
function singleNonBatch(x: Laid, g: number): boolean {
  const gs = groupsOf(x);
  return gs[g] === 1 && x.perm[starts(gs)[g]!] !== 0;
}

/** IR axis (negative, from the end) of model dim `g` when it is one non-batch IR dim, else null. */
export function irAxisOf(c: Ctx, x: Laid, g: number): number | null {
  if (!singleNonBatch(x, g)) return null;
  return x.perm[starts(groupsOf(x))[g]!]! - fullDims(c, x.ir).length;
}

/** The same layout on another IR value of the same shape (an op that keeps its input's shape). */
export function sameLayout(x: Laid, ir: string): Laid {
  return x.kind === 'merged' ? { ...x, ir } : { kind: 'dyn', ir, perm: x.perm };
}

/**
 * x with its last model dim as the IR's last dim (Dense contracts the IR's last dim): as it is,
 * or moved to the sample-major order. Null when the last model dim holds the batch.
 */
export function lastDimLast(c: Ctx, x: Laid): Laid | null {
  const R = groupsOf(x).length;
  if (!singleNonBatch(x, R - 1)) return null;
  const full = fullDims(c, x.ir);
  if (x.perm[x.perm.length - 1] === full.length - 1) return x;
  const order = [0, ...x.perm.filter((d) => d !== 0)];
  const own = order.slice(1).map((d) => d - 1);
  const ir = c.imp.emit('Transpose', `${c.name}_relayout`, [x.ir], { perm: own })[0]!;
  const pos = new Map(order.map((d, i) => [d, i]));
  return canonical(c, ir, x.perm.map((d) => pos.get(d)!), groupsOf(x));
}

/**
 * numpy MatMul of two computed tensors, one of them batch-merged, per sample: both operands'
 * leading (batch) model dims must have the same structure and start with the batch, and their
 * last two dims be plain dims. Each operand is laid out in its model order (batch first) and
 * multiplied by one IR MatMul. Null when the shapes do not allow it.
 */
export function matmulMerged(c: Ctx, a: Laid, b: Laid): Laid | null {
  const imp = c.imp;
  const ga = groupsOf(a);
  const gb = groupsOf(b);
  const R = ga.length;
  if (R < 3 || gb.length !== R) return null;
  for (const [x, g] of [[a, R - 2], [a, R - 1], [b, R - 2], [b, R - 1]] as const) if (!singleNonBatch(x, g)) return null;
  const lead = (x: Laid) => {
    const n = groupsOf(x).slice(0, R - 2).reduce((p, q) => p + q, 0);
    const full = fullDims(c, x.ir);
    return x.perm.slice(0, n).map((d) => full[d]!);
  };
  const la = lead(a);
  const lb = lead(b);
  if (la[0] !== BATCH || la.length !== lb.length || la.some((d, i) => d !== lb[i]) || ga.slice(0, R - 2).some((g, i) => g !== gb[i])) return null;
  const inOrder = (x: Laid): string => {
    const own = x.perm.slice(1).map((d) => d - 1);
    return isIdentity(own) ? x.ir : imp.emit('Transpose', `${c.name}_relayout`, [x.ir], { perm: own })[0]!;
  };
  const [o] = imp.emit('MatMul', c.name, [inOrder(a), inOrder(b)], {});
  return canonical(c, o!, identity(la.length + 2), [...ga.slice(0, R - 2), 1, 1]);
}

/** A stored value read by the batch-merged-aware converters: Dyn or Merged, or null for others. */
export function laidOut(v: MVal | undefined): Laid | null {
  return v && (v.kind === 'dyn' || v.kind === 'merged') ? v : null;
}

/** The scalar of a one-element constant, else null. */
export function scalarOf(v: OVal | MVal | undefined): number | null {
  return v && v.kind === 'const' && numel(v.t.shape) === 1 ? v.t.data[0]! : null;
}
