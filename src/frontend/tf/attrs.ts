/**
 * Typed access to TensorFlow NodeDef attributes (AttrValue): int64 as plain numbers, byte
 * strings as UTF-8, lists, dtypes, shapes and tensors. Which member of the AttrValue oneof was
 * written is read from its discriminator, so an absent attribute takes the op's registered
 * default (given by the converter) and an explicit false/0 is not mistaken for absent.
 */
import { NnInputError } from '../../util/tensor.js';
import type { AttrReader } from '../common/node-view.js';
import type { TAttr, TNode, TShape, TTensor } from './schema.js';
import { baseDtype, toNum } from './tensor.js';

const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

export class TfAttrs implements AttrReader {
  private readonly map: Record<string, TAttr>;
  constructor(node: TNode, readonly where: string) {
    this.map = node.attr ?? {};
  }
  private get(name: string): TAttr | undefined {
    return Object.prototype.hasOwnProperty.call(this.map, name) ? this.map[name] : undefined;
  }
  private fail(name: string, want: string): never {
    throw new NnInputError(`${this.where}: attribute '${name}' should be ${want}`);
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.get(name);
    if (!a) return dflt;
    if (a.value !== undefined && a.value !== 'i') this.fail(name, 'an int');
    return toNum(a.i ?? 0);
  }
  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.get(name);
    if (!a) return dflt;
    if (a.value === 'i') return toNum(a.i);
    if (a.value !== undefined && a.value !== 'f') this.fail(name, 'a float');
    return a.f ?? 0;
  }
  bool(name: string, dflt: boolean): boolean {
    const a = this.get(name);
    if (!a) return dflt;
    if (a.value !== undefined && a.value !== 'b') this.fail(name, 'a bool');
    return !!a.b;
  }
  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.get(name);
    if (!a) return dflt;
    if (a.value !== undefined && a.value !== 'list') this.fail(name, 'a list of ints');
    return (a.list?.i ?? []).map(toNum);
  }
  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, dflt?: number[]): number[] | undefined {
    const a = this.get(name);
    if (!a) return dflt;
    return [...(a.list?.f ?? [])];
  }
  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    const a = this.get(name);
    if (!a) return dflt;
    if (a.value !== undefined && a.value !== 's') this.fail(name, 'a string');
    return utf8(a.s ?? new Uint8Array());
  }
  strings(name: string): string[] | undefined {
    const a = this.get(name);
    if (!a) return undefined;
    return (a.list?.s ?? []).map(utf8);
  }
  /** A DataType attr (`T`, `dtype`), *_REF stripped. */
  type(name: string): number | undefined {
    const a = this.get(name);
    return a?.type === undefined ? undefined : baseDtype(a.type);
  }
  shape(name: string): TShape | undefined {
    return this.get(name)?.shape;
  }
  tensor(name: string): TTensor | undefined {
    return this.get(name)?.tensor;
  }
}
