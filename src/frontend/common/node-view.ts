/**
 * The format-neutral view of one model node that op converters read: its op type, name,
 * input and output tensor names, and typed attribute access. Each reader (ONNX NodeProto,
 * TensorFlow NodeDef, a Keras layer config) adapts its own node to this shape, so the shared
 * Ctx and the IR builders in builders.ts never see a container format.
 */

/**
 * Typed attribute access. Readers convert their own encodings (protobuf Long, bytes, JSON)
 * to plain numbers and strings and throw NnInputError naming the node when an attribute has
 * the wrong kind. A reader may add format-specific methods (e.g. ONNX `tensor`, TF `bool`);
 * converters for that format then see them through `Ctx<TheirReader>`.
 */
export interface AttrReader {
  has(name: string): boolean;
  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  strings(name: string): string[] | undefined;
}

export interface NodeView<A extends AttrReader = AttrReader> {
  /** Op type as the format spells it (e.g. 'Conv', 'Conv2D', 'Dense'). */
  readonly op: string;
  /** Node name in the model ('' when the format has none). */
  readonly name: string;
  /** Tensor names of the inputs; '' marks an absent optional input. Control inputs are not listed. */
  readonly inputs: readonly string[];
  /** Tensor names of the outputs; '' marks an output nobody asked for. */
  readonly outputs: readonly string[];
  readonly attrs: A;
}
