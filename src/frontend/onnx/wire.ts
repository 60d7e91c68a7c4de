/**
 * Our own decoder of the ONNX protobuf messages the ONNX reader uses (ModelProto and what it
 * holds: graphs, nodes, attributes, tensors, value infos and their types), straight from the
 * protobuf wire format. It replaces onnx-proto/protobufjs at run time, whose loading cost every
 * ONNX command ~70 ms of start-up. The objects it returns have the shape of onnx-proto's
 * I*Proto interfaces with protobufjs's defaults (scalars 0 / '' / empty bytes, repeated fields
 * [], absent messages and unwritten oneof members null; a Dimension says which of
 * dim_value/dim_param was written in `value`), so the reader works on either; int64 values are numbers when they are safe
 * integers, else bigints (toNum and toBig in attrs.ts/tensor-proto.ts take both). Bytes fields
 * are views of the input. Fields the reader never reads (functions, training info, sparse
 * tensors, non-tensor types) are skipped. A malformed message throws an Error saying where.
 */
import type onnxProto from 'onnx-proto';

type IModel = onnxProto.onnx.IModelProto;
type IGraph = onnxProto.onnx.IGraphProto;
type INode = onnxProto.onnx.INodeProto;
type IAttr = onnxProto.onnx.IAttributeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type IType = onnxProto.onnx.ITypeProto;
type IShape = onnxProto.onnx.ITensorShapeProto;
type IDim = onnxProto.onnx.TensorShapeProto.IDimension;

/** AttributeProto.AttributeType values (onnx.proto). */
export const ATTR_FLOAT = 1;
export const ATTR_INT = 2;
/** TensorProto.DataLocation.EXTERNAL (onnx.proto). */
export const DATA_EXTERNAL = 1;

const utf8 = new TextDecoder();

/** A cursor over one message's bytes [pos, end). */
class Reader {
  pos: number;
  private readonly dv: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
    start = 0,
  ) {
    this.pos = start;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new Error(`index out of range: ${this.pos} + ${n} > ${this.end}`);
  }

  /** A varint as its low and high 32 bits. */
  private varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
      shift += 7;
    }
    throw new Error(`invalid varint encoding at offset ${this.pos}`);
  }

  uint32(): number {
    return this.varint64()[0];
  }

  int32(): number {
    return this.varint64()[0] | 0;
  }

  /** Signed 64-bit: a number when it is a safe integer, else a bigint. */
  int64(): number | bigint {
    const [lo, hi] = this.varint64();
    const v = (hi | 0) * 4294967296 + lo;
    return Number.isSafeInteger(v) ? v : (BigInt(hi | 0) << 32n) | BigInt(lo);
  }

  uint64(): number | bigint {
    const [lo, hi] = this.varint64();
    const v = hi * 4294967296 + lo;
    return Number.isSafeInteger(v) ? v : (BigInt(hi) << 32n) | BigInt(lo);
  }

  float(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bytes(): Uint8Array {
    const n = this.uint32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over an embedded message (the next length-delimited field). */
  sub(): Reader {
    const n = this.uint32();
    this.need(n);
    const r = new Reader(this.buf, this.pos + n, this.pos);
    this.pos += n;
    return r;
  }

  /** Skips a field of wire type `wt`. */
  skip(wt: number): void {
    switch (wt) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.need(8);
        this.pos += 8;
        return;
      case 2: {
        const n = this.uint32();
        this.need(n);
        this.pos += n;
        return;
      }
      case 3: // group: skip to its end tag
        for (;;) {
          const t = this.uint32();
          if ((t & 7) === 4) return;
          this.skip(t & 7);
        }
      case 5:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new Error(`invalid wire type ${wt} at offset ${this.pos}`);
    }
  }

  /** Reads a repeated scalar field, packed (wire type 2) or one element at a time. */
  repeated<T>(wt: number, out: T[], one: (r: Reader) => T): void {
    if (wt !== 2) {
      out.push(one(this));
      return;
    }
    const r = this.sub();
    while (r.pos < r.end) out.push(one(r));
  }

  /** Calls `field(number, wireType)` for each field; it returns false for fields it does not read. */
  fields(field: (no: number, wt: number) => boolean): void {
    while (this.pos < this.end) {
      const tag = this.uint32();
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no === 0) throw new Error(`invalid field number 0 at offset ${this.pos}`);
      if (!field(no, wt)) this.skip(wt);
    }
  }
}

const int64 = (r: Reader) => r.int64();
const uint64 = (r: Reader) => r.uint64();
const int32 = (r: Reader) => r.int32();
const float = (r: Reader) => r.float();
const double = (r: Reader) => r.double();

function tensor(r: Reader): ITensor {
  const t = {
    dims: [] as (number | bigint)[], dataType: 0, segment: null as { begin: number | bigint; end: number | bigint } | null, floatData: [] as number[], int32Data: [] as number[],
    stringData: [] as Uint8Array[], int64Data: [] as (number | bigint)[], name: '', docString: '', rawData: new Uint8Array(0) as Uint8Array,
    externalData: [] as { key: string; value: string }[], dataLocation: 0, doubleData: [] as number[], uint64Data: [] as (number | bigint)[],
  };
  r.fields((no, wt) => {
    switch (no) {
      case 1: r.repeated(wt, t.dims, int64); return true;
      case 2: t.dataType = r.int32(); return true;
      case 3: {
        const s = { begin: 0 as number | bigint, end: 0 as number | bigint };
        const m = r.sub();
        m.fields((n) => (n === 1 ? ((s.begin = m.int64()), true) : n === 2 ? ((s.end = m.int64()), true) : false));
        t.segment = s;
        return true;
      }
      case 4: r.repeated(wt, t.floatData, float); return true;
      case 5: r.repeated(wt, t.int32Data, int32); return true;
      case 6: t.stringData.push(r.bytes()); return true;
      case 7: r.repeated(wt, t.int64Data, int64); return true;
      case 8: t.name = r.string(); return true;
      case 9: t.rawData = r.bytes(); return true;
      case 10: r.repeated(wt, t.doubleData, double); return true;
      case 11: r.repeated(wt, t.uint64Data, uint64); return true;
      case 12: t.docString = r.string(); return true;
      case 13: t.externalData.push(stringEntry(r.sub())); return true;
      case 14: t.dataLocation = r.int32(); return true;
      default: return false;
    }
  });
  return t as unknown as ITensor;
}

function stringEntry(r: Reader): { key: string; value: string } {
  const e = { key: '', value: '' };
  r.fields((no) => (no === 1 ? ((e.key = r.string()), true) : no === 2 ? ((e.value = r.string()), true) : false));
  return e;
}

function dimension(r: Reader): IDim {
  // dim_value and dim_param form a oneof: protobufjs leaves the unwritten one null.
  const d: { dimValue: number | bigint | null; dimParam: string | null; denotation: string; value?: 'dimValue' | 'dimParam' } = { dimValue: null, dimParam: null, denotation: '' };
  r.fields((no) => {
    switch (no) {
      case 1: d.dimValue = r.int64(); d.value = 'dimValue'; return true;
      case 2: d.dimParam = r.string(); d.value = 'dimParam'; return true;
      case 3: d.denotation = r.string(); return true;
      default: return false;
    }
  });
  return d as unknown as IDim;
}

function shape(r: Reader): IShape {
  const s = { dim: [] as IDim[] };
  r.fields((no) => (no === 1 ? (s.dim.push(dimension(r.sub())), true) : false));
  return s;
}

function type(r: Reader): IType {
  // Only tensor types are read: a sequence, map or optional input keeps tensorType null, which
  // the reader reports as "not a tensor".
  const t: { tensorType: { elemType: number; shape: IShape | null } | null; denotation: string } = { tensorType: null, denotation: '' };
  r.fields((no) => {
    if (no === 6) return (t.denotation = r.string()), true;
    if (no !== 1) return false;
    const tt = { elemType: 0, shape: null as IShape | null };
    const m = r.sub();
    m.fields((n) => (n === 1 ? ((tt.elemType = m.int32()), true) : n === 2 ? ((tt.shape = shape(m.sub())), true) : false));
    t.tensorType = tt;
    return true;
  });
  return t;
}

function valueInfo(r: Reader): IValueInfo {
  const v = { name: '', type: null as IType | null, docString: '' };
  r.fields((no) => {
    switch (no) {
      case 1: v.name = r.string(); return true;
      case 2: v.type = type(r.sub()); return true;
      case 3: v.docString = r.string(); return true;
      default: return false;
    }
  });
  return v;
}

function attribute(r: Reader): IAttr {
  const a = {
    name: '', refAttrName: '', docString: '', type: 0, f: 0, i: 0 as number | bigint, s: new Uint8Array(0) as Uint8Array, t: null as ITensor | null, g: null as IGraph | null,
    floats: [] as number[], ints: [] as (number | bigint)[], strings: [] as Uint8Array[], tensors: [] as ITensor[], graphs: [] as IGraph[],
  };
  r.fields((no, wt) => {
    switch (no) {
      case 1: a.name = r.string(); return true;
      case 2: a.f = r.float(); return true;
      case 3: a.i = r.int64(); return true;
      case 4: a.s = r.bytes(); return true;
      case 5: a.t = tensor(r.sub()); return true;
      case 6: a.g = graph(r.sub()); return true;
      case 7: r.repeated(wt, a.floats, float); return true;
      case 8: r.repeated(wt, a.ints, int64); return true;
      case 9: a.strings.push(r.bytes()); return true;
      case 10: a.tensors.push(tensor(r.sub())); return true;
      case 11: a.graphs.push(graph(r.sub())); return true;
      case 13: a.docString = r.string(); return true;
      case 20: a.type = r.int32(); return true;
      case 21: a.refAttrName = r.string(); return true;
      default: return false;
    }
  });
  return a as unknown as IAttr;
}

function node(r: Reader): INode {
  const n = { input: [] as string[], output: [] as string[], name: '', opType: '', domain: '', attribute: [] as IAttr[], docString: '' };
  r.fields((no) => {
    switch (no) {
      case 1: n.input.push(r.string()); return true;
      case 2: n.output.push(r.string()); return true;
      case 3: n.name = r.string(); return true;
      case 4: n.opType = r.string(); return true;
      case 5: n.attribute.push(attribute(r.sub())); return true;
      case 6: n.docString = r.string(); return true;
      case 7: n.domain = r.string(); return true;
      default: return false;
    }
  });
  return n;
}

function graph(r: Reader): IGraph {
  const g = { node: [] as INode[], name: '', initializer: [] as ITensor[], docString: '', input: [] as IValueInfo[], output: [] as IValueInfo[], valueInfo: [] as IValueInfo[] };
  r.fields((no) => {
    switch (no) {
      case 1: g.node.push(node(r.sub())); return true;
      case 2: g.name = r.string(); return true;
      case 5: g.initializer.push(tensor(r.sub())); return true;
      case 10: g.docString = r.string(); return true;
      case 11: g.input.push(valueInfo(r.sub())); return true;
      case 12: g.output.push(valueInfo(r.sub())); return true;
      case 13: g.valueInfo.push(valueInfo(r.sub())); return true;
      default: return false;
    }
  });
  return g;
}

/** Decodes a serialized ModelProto. */
export function decodeModelProto(bytes: Uint8Array): IModel {
  const r = new Reader(bytes);
  const m = {
    irVersion: 0 as number | bigint, opsetImport: [] as { domain: string; version: number | bigint }[], producerName: '', producerVersion: '', domain: '',
    modelVersion: 0 as number | bigint, docString: '', graph: null as IGraph | null, metadataProps: [] as { key: string; value: string }[],
  };
  r.fields((no) => {
    switch (no) {
      case 1: m.irVersion = r.int64(); return true;
      case 2: m.producerName = r.string(); return true;
      case 3: m.producerVersion = r.string(); return true;
      case 4: m.domain = r.string(); return true;
      case 5: m.modelVersion = r.int64(); return true;
      case 6: m.docString = r.string(); return true;
      case 7: m.graph = graph(r.sub()); return true;
      case 8: {
        const o = { domain: '', version: 0 as number | bigint };
        const s = r.sub();
        s.fields((n) => (n === 1 ? ((o.domain = s.string()), true) : n === 2 ? ((o.version = s.int64()), true) : false));
        m.opsetImport.push(o);
        return true;
      }
      case 14: m.metadataProps.push(stringEntry(r.sub())); return true;
      default: return false;
    }
  });
  return m as unknown as IModel;
}

/** Decodes a serialized TensorProto (an ONNX test-data .pb). */
export function decodeTensorProtoBytes(bytes: Uint8Array): ITensor {
  return tensor(new Reader(bytes));
}
