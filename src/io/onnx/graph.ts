/**
 * A small builder of ONNX graphs over the ONNX schema package (`onnx-proto`:
 * the official onnx.proto compiled for protobufjs). It only collects nodes,
 * initializers and value infos as the schema's message objects; protobufjs
 * does the encoding (`encodeModel`). No custom ops: every node is in the
 * default domain at `ONNX_OPSET`.
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { toHalfArray } from './half.ts';

const { onnx } = onnxProto;

/**
 * The opset the exported graphs use. 17 is the first with
 * LayerNormalization; onnxruntime has supported it fully since 1.14, and
 * IR version 8 is the one ONNX 1.12 (opset 17) writes.
 */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

/** A node attribute. */
export type Attr = { int: number } | { ints: number[] } | { float: number } | { string: string };

/** A tensor dimension: a size, or a symbolic name (the dynamic batch). */
export type Dim = number | string;

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** The bytes of a typed array, as a view (protobufjs copies them into the message when it encodes). */
function bytesOf(a: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian, as are the typed arrays of every platform the studio runs on.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function attribute(name: string, a: Attr): Onnx.IAttributeProto {
  if ('int' in a) return { name, type: AttrType.INT, i: a.int };
  if ('ints' in a) return { name, type: AttrType.INTS, ints: a.ints };
  if ('float' in a) return { name, type: AttrType.FLOAT, f: a.float };
  return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.string) };
}

function valueInfo(name: string, dims: readonly Dim[], doc?: string): Onnx.IValueInfoProto {
  return {
    name,
    ...(doc ? { docString: doc } : {}),
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  readonly inputs: Onnx.IValueInfoProto[] = [];
  readonly outputs: Onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** `f16`: weights (not the small constant tables) are stored as float16 and cast to float in the graph. */
  constructor(readonly f16 = false) {}

  /** A name not used yet, from `base`. */
  unique(base: string): string {
    let name = base, i = 1;
    while (this.names.has(name)) name = `${base}_${i++}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dims: readonly Dim[], doc?: string): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, dims, doc));
    return name;
  }

  output(name: string, dims: readonly Dim[], doc?: string): void {
    this.outputs.push(valueInfo(name, dims, doc));
  }

  /**
   * One node of `op` (default domain); returns its outputs' names: fresh ones
   * from the node's name, or `outputs` when given (the graph outputs).
   */
  nodeN(op: string, inputs: readonly string[], name: string, attrs: Record<string, Attr> = {}, outputs: number | string[] = 1): string[] {
    const node = this.unique(name);
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? node : `${node}:${i}`))
      : outputs.map((o) => { this.names.add(o); return o; });
    this.nodes.push({
      name: node, opType: op, input: [...inputs], output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** A node with one output. */
  node(op: string, inputs: readonly string[], name: string, attrs: Record<string, Attr> = {}, output?: string): string {
    return this.nodeN(op, inputs, name, attrs, output === undefined ? 1 : [output])[0];
  }

  /**
   * A weight: an initializer named `name` (the official state_dict name),
   * float32, or float16 with a Cast to float after it. Returns the name of
   * the float tensor.
   */
  weight(name: string, dims: readonly number[], data: Float32Array): string {
    this.checkSize(name, dims, data.length);
    this.names.add(name);
    if (!this.f16) {
      this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: bytesOf(data) });
      return name;
    }
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT16, rawData: bytesOf(toHalfArray(data, name)) });
    return this.node('Cast', [name], `${name}.float`, { to: { int: DataType.FLOAT } });
  }

  /** A float32 constant table (rotary cos/sin, time frequencies): never float16. */
  table(name: string, dims: readonly number[], data: Float32Array): string {
    this.checkSize(name, dims, data.length);
    const n = this.unique(name);
    this.initializers.push({ name: n, dims: [...dims], dataType: DataType.FLOAT, rawData: bytesOf(data) });
    return n;
  }

  /** A float32 scalar constant (shared by value). */
  scalar(v: number): string {
    const key = `f:${Object.is(v, -0) ? '-0' : String(v)}`;
    let n = this.constants.get(key);
    if (!n) {
      n = this.unique(`const_${String(v).replace(/[^0-9a-zA-Z.+-]/g, '_')}`);
      this.initializers.push({ name: n, dims: [], dataType: DataType.FLOAT, rawData: bytesOf(Float32Array.of(v)) });
      this.constants.set(key, n);
    }
    return n;
  }

  /** A 1-D int64 constant (shapes, axes, split sizes; shared by value). */
  ints(values: readonly number[]): string {
    const key = `i:${values.join(',')}`;
    let n = this.constants.get(key);
    if (!n) {
      n = this.unique(`ints_${values.join('_').replace(/-/g, 'm')}`);
      this.initializers.push({ name: n, dims: [values.length], dataType: DataType.INT64, rawData: bytesOf(BigInt64Array.from(values, BigInt)) });
      this.constants.set(key, n);
    }
    return n;
  }

  /** The model: this graph, the opset, and `metadata` as metadata_props. */
  model(graphName: string, doc: string, metadata: Record<string, string>): Onnx.IModelProto {
    return {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'FLM Studio',
      producerVersion: '1',
      docString: doc,
      graph: {
        name: graphName, docString: doc, node: this.nodes, initializer: this.initializers,
        input: this.inputs, output: this.outputs,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }

  private checkSize(name: string, dims: readonly number[], n: number): void {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== n) throw new RangeError(`ONNX tensor ${name}: shape [${dims.join(', ')}] holds ${size} values, got ${n}`);
  }
}

/** Serialise a model with protobufjs. */
export function encodeModel(m: Onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

/** Parse a serialised model (for reading an exported file's metadata back). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
