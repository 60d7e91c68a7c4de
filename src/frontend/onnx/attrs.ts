/**
 * Typed access to ONNX node attributes. The wire decoder (wire.ts) leaves int64 attributes as
 * numbers or bigints (protobufjs, which tests build models with, as Long objects) and strings
 * as bytes; these readers turn them into plain numbers and strings and fail with
 * the node's name and op when an attribute has the wrong kind.
 */
import type onnxProto from 'onnx-proto';
import { NnInputError } from '../../util/tensor.js';
import type { AttrReader } from '../common/node-view.js';
import { ATTR_FLOAT, ATTR_INT } from './wire.js';
type IAttr = onnxProto.onnx.IAttributeProto;
type INode = onnxProto.onnx.INodeProto;

export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'bigint') return Number(v);
  return Number(v);
}

export class NodeAttrs implements AttrReader {
  private readonly map = new Map<string, IAttr>();
  constructor(readonly node: INode, readonly where: string) {
    for (const a of node.attribute ?? []) if (a.name) this.map.set(a.name, a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  private fail(name: string, want: string): never {
    throw new NnInputError(`${this.where}: attribute '${name}' should be ${want}`);
  }
  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.map.get(name);
    if (!a) return dflt;
    if (a.type !== ATTR_INT && a.i == null) this.fail(name, 'an int');
    return toNum(a.i ?? 0);
  }
  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.map.get(name);
    if (!a) return dflt;
    if (a.type === ATTR_INT) return toNum(a.i ?? 0);
    if (a.type !== ATTR_FLOAT && a.f == null) this.fail(name, 'a float');
    return a.f ?? 0;
  }
  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return dflt;
    return (a.ints ?? []).map(toNum);
  }
  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, dflt?: number[]): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return dflt;
    return [...(a.floats ?? [])];
  }
  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    const a = this.map.get(name);
    if (!a) return dflt;
    if (!a.s) this.fail(name, 'a string');
    return new TextDecoder().decode(a.s);
  }
  strings(name: string): string[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
  }
  tensor(name: string): onnxProto.onnx.ITensorProto | undefined {
    return this.map.get(name)?.t ?? undefined;
  }
  raw(name: string): IAttr | undefined {
    return this.map.get(name);
  }
}
