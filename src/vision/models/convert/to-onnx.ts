// TensorFlow.js graph model → ONNX model (bytes).
//
// Written by hand because no npm package does this conversion (tf2onnx and onnx-tf are Python,
// and need TensorFlow itself). The graphs we convert are small mobile CNNs, so the converter
// maps the ops such graphs use, one by one, and refuses anything else with a clear error.
//
// Layout: TF graphs are NHWC, ONNX convolutions are NCHW. Rather than wrapping every conv in
// a pair of transposes, each value carries its physical layout ('nchw' for 4-D activations
// after the entry transpose, 'plain' otherwise) and its *logical* TF shape; ops that care
// about axes (Pad, Concat, reductions, Reshape) map their axes or bring the value back to
// plain layout first. Constants are materialised in whatever layout their consumer needs.
// The graph input keeps the TF layout (NHWC) and the outputs are plain, so the ONNX model has
// exactly the tfjs model's interface.
import onnxProto from 'onnx-proto';
import type { TfAttr, TfGraph, TfNode } from './tfjs-graph.ts';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

export const OPSET = 17;

type Layout = 'nchw' | 'plain';

interface Value {
  /** ONNX tensor name holding this value (absent for a constant not yet materialised). */
  name: string;
  layout: Layout;
  /** Logical TF shape (NHWC order for 4-D activations), fully static. */
  shape: number[];
  /** Constant data, TF order, when the value is a graph constant. */
  constant?: Float32Array | Int32Array;
  dtype: 'float' | 'int';
}

export interface ConvertOptions {
  /** Model name written into the graph. */
  name: string;
  /** Free text stored as the model's doc_string (provenance). */
  doc?: string;
  /** Replace unknown (-1) input dimensions: placeholder name → full NHWC shape. */
  inputShapes?: Record<string, number[]>;
  /** Output node names, in order; default: every terminal node, in graph order. */
  outputs?: string[];
}

export interface ConvertResult {
  bytes: Uint8Array;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
  /** TF op → count, for the documentation of op coverage. */
  ops: Record<string, number>;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** TF axis of a 4-D NHWC tensor → the same axis in NCHW. */
const NCHW_AXIS = [0, 2, 3, 1];

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function at<T>(arr: readonly T[], i: number, what: string): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`${what}: index ${i} out of range`);
  return v;
}

/** Transposes constant data of the given shape by perm. */
function transposeData<T extends Float32Array | Int32Array>(data: T, shape: number[], perm: number[]): { data: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => at(shape, p, 'transpose'));
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = at(inStrides, i + 1, 's') * at(shape, i + 1, 's');
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  const permStrides = perm.map((p) => at(inStrides, p, 's'));
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += at(idx, d, 'i') * at(permStrides, d, 's');
    out[o] = at(data as unknown as number[], src, 'src');
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = at(idx, d, 'i') + 1;
      if (at(idx, d, 'i') < at(outShape, d, 'o')) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

function broadcastShapes(a: number[], b: number[], what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${what}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

function attrOf(node: TfNode, key: string): TfAttr | undefined {
  return node.attr?.[key];
}

function attrInts(node: TfNode, key: string, fallback?: number[]): number[] {
  const a = attrOf(node, key)?.list?.i;
  if (a) return a.map(Number);
  if (fallback) return fallback;
  throw new Error(`${node.name} (${node.op}): missing attribute ${key}`);
}

function attrString(node: TfNode, key: string, fallback?: string): string {
  const s = attrOf(node, key)?.s;
  if (s !== undefined) return Buffer.from(s, 'base64').toString('utf8');
  if (fallback !== undefined) return fallback;
  throw new Error(`${node.name} (${node.op}): missing attribute ${key}`);
}

function attrStrings(node: TfNode, key: string): string[] {
  return (attrOf(node, key)?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

function attrBool(node: TfNode, key: string): boolean {
  return attrOf(node, key)?.b === true;
}

function attrFloat(node: TfNode, key: string, fallback: number): number {
  return attrOf(node, key)?.f ?? fallback;
}

function intAttr(name: string, v: number): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
}
function intsAttr(name: string, v: number[]): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
}
function floatAttr(name: string, v: number): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v };
}
function stringAttr(name: string, v: string): IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v, 'utf8') };
}

function valueInfo(name: string, shape: number[]): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

/** Output size and TF-style padding (before, after) of one spatial dimension. */
function spatialPadding(mode: string, size: number, k: number, stride: number, dilation: number, explicit?: [number, number]): { out: number; before: number; after: number } {
  const eff = (k - 1) * dilation + 1;
  if (mode === 'VALID') return { out: Math.ceil((size - eff + 1) / stride), before: 0, after: 0 };
  if (mode === 'SAME') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + eff - size, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  if (mode === 'EXPLICIT' && explicit) {
    const [before, after] = explicit;
    return { out: Math.floor((size + before + after - eff) / stride) + 1, before, after };
  }
  throw new Error(`unsupported padding ${mode}`);
}

class Builder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  private counter = 0;
  private readonly layoutCache = new Map<string, string>();

  fresh(base: string): string {
    this.counter += 1;
    return `${base}__${this.counter}`;
  }

  node(opType: string, inputs: string[], output: string, attribute: IAttributeProto[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(base);
    const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  int64Init(base: string, values: number[]): string {
    const name = this.fresh(base);
    const big = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(big.buffer) });
    return name;
  }

  /** The ONNX name of `v` in the requested physical layout (4-D values only for 'nchw'). */
  as(v: Value, layout: Layout, what: string): string {
    if (v.constant) {
      if (v.dtype !== 'float') throw new Error(`${what}: an integer constant used as data`);
      const data = v.constant instanceof Float32Array ? v.constant : Float32Array.from(v.constant);
      if (layout === 'plain') return this.floatInit(`${what}/const`, v.shape, data);
      if (v.shape.length > 4) throw new Error(`${what}: constant of rank ${v.shape.length} against a 4-D value`);
      const shape4 = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape];
      const t = transposeData(data, shape4, NHWC_TO_NCHW);
      return this.floatInit(`${what}/const`, t.shape, t.data);
    }
    if (v.layout === layout) return v.name;
    const key = `${v.name}|${layout}`;
    const cached = this.layoutCache.get(key);
    if (cached) return cached;
    let out: string;
    if (layout === 'plain') {
      out = this.node('Transpose', [v.name], this.fresh(`${v.name}/nhwc`), [intsAttr('perm', NCHW_TO_NHWC)]);
    } else {
      if (v.shape.length > 4) throw new Error(`${what}: value of rank ${v.shape.length} against a 4-D value`);
      let src = v.name;
      if (v.shape.length < 4) {
        const shape4 = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape];
        src = this.node('Reshape', [v.name, this.int64Init(`${what}/shape`, shape4)], this.fresh(`${v.name}/rank4`));
      }
      out = this.node('Transpose', [src], this.fresh(`${v.name}/nchw`), [intsAttr('perm', NHWC_TO_NCHW)]);
    }
    this.layoutCache.set(key, out);
    return out;
  }
}

interface Ctx {
  b: Builder;
  node: TfNode;
  inputs: Value[];
}

function input(ctx: Ctx, i: number): Value {
  const v = ctx.inputs[i];
  if (!v) throw new Error(`${ctx.node.name} (${ctx.node.op}): missing input ${i}`);
  return v;
}

function constInts(ctx: Ctx, i: number): number[] {
  const v = input(ctx, i);
  if (!v.constant) throw new Error(`${ctx.node.name} (${ctx.node.op}): input ${i} must be a constant`);
  return Array.from(v.constant, Number);
}

function activation(ctx: Ctx, kind: string, x: string, shape: number[], alpha?: Value): string {
  const { b, node } = ctx;
  const out = b.fresh(`${node.name}/${kind}`);
  switch (kind) {
    case 'Relu': return b.node('Relu', [x], out);
    case 'Relu6': return b.node('Clip', [x, b.floatInit('zero', [], new Float32Array([0])), b.floatInit('six', [], new Float32Array([6]))], out);
    case 'Sigmoid': return b.node('Sigmoid', [x], out);
    case 'Tanh': return b.node('Tanh', [x], out);
    case 'Elu': return b.node('Elu', [x], out);
    case 'LeakyRelu': return b.node('LeakyRelu', [x], out, [floatAttr('alpha', attrFloat(node, 'leakyrelu_alpha', attrFloat(node, 'alpha', 0.2)))]);
    case 'Prelu': {
      if (!alpha) throw new Error(`${node.name}: Prelu without alpha`);
      const layout: Layout = shape.length === 4 ? 'nchw' : 'plain';
      return b.node('PRelu', [x, b.as(alpha, layout, `${node.name}/alpha`)], out);
    }
    default: throw new Error(`${node.name} (${node.op}): unsupported fused activation ${kind}`);
  }
}

/** Conv2D, DepthwiseConv2dNative and their fused forms. */
function convolution(ctx: Ctx, depthwise: boolean): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const filter = input(ctx, 1);
  if (!filter.constant || !(filter.constant instanceof Float32Array)) throw new Error(`${node.name}: the filter must be a float constant`);
  if (x.shape.length !== 4) throw new Error(`${node.name}: input must be 4-D`);
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw new Error(`${node.name}: only NHWC graphs are supported`);
  const [kh, kw, inC, outOrMult] = filter.shape as [number, number, number, number];
  const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
  const dil = attrInts(node, 'dilations', [1, 1, 1, 1]);
  const mode = attrString(node, 'padding');
  const explicit = attrInts(node, 'explicit_paddings', []);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const sh = at(strides, 1, 'strides');
  const sw = at(strides, 2, 'strides');
  const ph = spatialPadding(mode, h, kh, sh, at(dil, 1, 'dil'), [explicit[2] ?? 0, explicit[3] ?? 0]);
  const pw = spatialPadding(mode, w, kw, sw, at(dil, 2, 'dil'), [explicit[4] ?? 0, explicit[5] ?? 0]);
  let weight: string;
  let outC: number;
  let group = 1;
  if (depthwise) {
    if (inC !== c) throw new Error(`${node.name}: depthwise filter has ${inC} channels, the input ${c}`);
    outC = inC * outOrMult;
    const t = transposeData(filter.constant, filter.shape, [2, 3, 0, 1]); // [inC, mult, kh, kw]
    weight = b.floatInit(`${node.name}/W`, [outC, 1, kh, kw], t.data);
    group = inC;
  } else {
    outC = outOrMult;
    if (inC !== c) throw new Error(`${node.name}: filter expects ${inC} channels, the input has ${c}`);
    const t = transposeData(filter.constant, filter.shape, [3, 2, 0, 1]);
    weight = b.floatInit(`${node.name}/W`, t.shape, t.data);
  }
  const fused = attrStrings(node, 'fused_ops');
  const convInputs = [b.as(x, 'nchw', node.name), weight];
  let rest = fused;
  if (fused[0] === 'BiasAdd') {
    const bias = input(ctx, 2);
    if (!bias.constant || !(bias.constant instanceof Float32Array) || bias.constant.length !== outC) throw new Error(`${node.name}: bias must be a float constant of ${outC}`);
    convInputs.push(b.floatInit(`${node.name}/B`, [outC], bias.constant));
    rest = fused.slice(1);
  } else if (fused.length > 0) {
    throw new Error(`${node.name}: unsupported fused ops ${fused.join(',')}`);
  }
  const shape = [n, ph.out, pw.out, outC];
  let out = b.node('Conv', convInputs, b.fresh(node.name), [
    intsAttr('kernel_shape', [kh, kw]),
    intsAttr('strides', [sh, sw]),
    intsAttr('dilations', [at(dil, 1, 'dil'), at(dil, 2, 'dil')]),
    intsAttr('pads', [ph.before, pw.before, ph.after, pw.after]),
    intAttr('group', group),
  ]);
  for (const act of rest) out = activation(ctx, act, out, shape, act === 'Prelu' ? input(ctx, 3) : undefined);
  return { name: out, layout: 'nchw', shape, dtype: 'float' };
}

function conv2dBackpropInput(ctx: Ctx): Value {
  const { b, node } = ctx;
  const outShape = constInts(ctx, 0);
  const filter = input(ctx, 1);
  const x = input(ctx, 2);
  if (!filter.constant || !(filter.constant instanceof Float32Array)) throw new Error(`${node.name}: the filter must be a float constant`);
  const [kh, kw, outC, inC] = filter.shape as [number, number, number, number];
  const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
  const mode = attrString(node, 'padding');
  const [n, oh, ow] = outShape as [number, number, number, number];
  if (at(outShape, 3, 'shape') !== outC || at(x.shape, 3, 'shape') !== inC) throw new Error(`${node.name}: channel mismatch`);
  const pads: number[] = [];
  const outputPadding: number[] = [];
  const ends: number[] = [];
  ([[oh, kh, at(strides, 1, 's'), at(x.shape, 1, 'x')], [ow, kw, at(strides, 2, 's'), at(x.shape, 2, 'x')]] as const).forEach(([o, k, s, i]) => {
    const fwd = spatialPadding(mode, o, k, s, 1);
    const raw = s * (i - 1) + k - fwd.before;
    pads.push(fwd.before);
    if (raw >= o) { ends.push(raw - o); outputPadding.push(0); } else { ends.push(0); outputPadding.push(o - raw); }
  });
  const t = transposeData(filter.constant, filter.shape, [3, 2, 0, 1]); // [inC, outC, kh, kw]
  const out = b.node('ConvTranspose', [b.as(x, 'nchw', node.name), b.floatInit(`${node.name}/W`, t.shape, t.data)], b.fresh(node.name), [
    intsAttr('kernel_shape', [kh, kw]),
    intsAttr('strides', [at(strides, 1, 's'), at(strides, 2, 's')]),
    intsAttr('pads', [...pads, ...ends]),
    intsAttr('output_padding', outputPadding),
  ]);
  return { name: out, layout: 'nchw', shape: [n, oh, ow, outC], dtype: 'float' };
}

function pool(ctx: Ctx, onnxOp: 'MaxPool' | 'AveragePool'): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const k = attrInts(node, 'ksize');
  const s = attrInts(node, 'strides');
  const mode = attrString(node, 'padding');
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const ph = spatialPadding(mode, h, at(k, 1, 'k'), at(s, 1, 's'), 1);
  const pw = spatialPadding(mode, w, at(k, 2, 'k'), at(s, 2, 's'), 1);
  const attrs = [intsAttr('kernel_shape', [at(k, 1, 'k'), at(k, 2, 'k')]), intsAttr('strides', [at(s, 1, 's'), at(s, 2, 's')]), intsAttr('pads', [ph.before, pw.before, ph.after, pw.after])];
  if (onnxOp === 'AveragePool') attrs.push(intAttr('count_include_pad', 0));
  const out = b.node(onnxOp, [b.as(x, 'nchw', node.name)], b.fresh(node.name), attrs);
  return { name: out, layout: 'nchw', shape: [n, ph.out, pw.out, c], dtype: 'float' };
}

function elementwise(ctx: Ctx, onnxOp: string, operands: Value[]): Value {
  const { b, node } = ctx;
  let shape: number[] = [];
  for (const v of operands) shape = broadcastShapes(shape, v.shape, node.name);
  const nchw = shape.length === 4 && operands.some((v) => v.layout === 'nchw');
  const layout: Layout = nchw ? 'nchw' : 'plain';
  const names = operands.map((v) => b.as(v, layout, node.name));
  return { name: b.node(onnxOp, names, b.fresh(node.name)), layout, shape, dtype: 'float' };
}

function unary(ctx: Ctx, kind: string): Value {
  const x = input(ctx, 0);
  const name = activation(ctx, kind, ctx.b.as(x, x.layout, ctx.node.name), x.shape);
  return { name, layout: x.layout, shape: x.shape, dtype: 'float' };
}

function pad(ctx: Ctx): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const p = constInts(ctx, 1);
  const rank = x.shape.length;
  if (p.length !== rank * 2) throw new Error(`${node.name}: paddings do not match rank ${rank}`);
  const pairs = Array.from({ length: rank }, (_, i) => [at(p, 2 * i, 'p'), at(p, 2 * i + 1, 'p')] as [number, number]);
  const layout: Layout = x.layout;
  const order = layout === 'nchw' ? NHWC_TO_NCHW : pairs.map((_, i) => i);
  const pads = [...order.map((a) => at(pairs, a, 'pads')[0]), ...order.map((a) => at(pairs, a, 'pads')[1])];
  const inputs = [b.as(x, layout, node.name), b.int64Init(`${node.name}/pads`, pads)];
  const attrs: IAttributeProto[] = [];
  if (node.op === 'PadV2') {
    const cv = input(ctx, 2);
    if (!cv.constant) throw new Error(`${node.name}: constant_values must be a constant`);
    inputs.push(b.floatInit(`${node.name}/value`, [], Float32Array.from(cv.constant)));
  } else if (node.op === 'MirrorPad') {
    const mode = attrString(node, 'mode');
    if (mode !== 'REFLECT') throw new Error(`${node.name}: MirrorPad mode ${mode} has no ONNX equivalent`);
    attrs.push(stringAttr('mode', 'reflect'));
  }
  const shape = x.shape.map((d, i) => d + at(pairs, i, 'pads')[0] + at(pairs, i, 'pads')[1]);
  return { name: b.node('Pad', inputs, b.fresh(node.name), attrs), layout, shape, dtype: 'float' };
}

function reshape(ctx: Ctx): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const target = constInts(ctx, 1);
  const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const shape = target.map((d) => (d === -1 ? numel(x.shape) / known : d));
  if (numel(shape) !== numel(x.shape)) throw new Error(`${node.name}: cannot reshape [${x.shape}] to [${target}]`);
  const out = b.node('Reshape', [b.as(x, 'plain', node.name), b.int64Init(`${node.name}/shape`, shape)], b.fresh(node.name));
  return { name: out, layout: 'plain', shape, dtype: 'float' };
}

function concat(ctx: Ctx): Value {
  const { b, node } = ctx;
  const values = ctx.inputs.slice(0, -1);
  const axisIn = at(constInts(ctx, ctx.inputs.length - 1), 0, 'axis');
  const first = at(values, 0, 'concat');
  const rank = first.shape.length;
  const axis = axisIn < 0 ? axisIn + rank : axisIn;
  const layout: Layout = rank === 4 && values.some((v) => v.layout === 'nchw') ? 'nchw' : 'plain';
  const shape = [...first.shape];
  shape[axis] = values.reduce((s, v) => s + at(v.shape, axis, 'concat'), 0);
  const onnxAxis = layout === 'nchw' ? at(NCHW_AXIS, axis, 'axis') : axis;
  const out = b.node('Concat', values.map((v) => b.as(v, layout, node.name)), b.fresh(node.name), [intAttr('axis', onnxAxis)]);
  return { name: out, layout, shape, dtype: 'float' };
}

function reduce(ctx: Ctx, onnxOp: string): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const rank = x.shape.length;
  const axes = [...new Set(constInts(ctx, 1).map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  const keep = attrBool(node, 'keep_dims');
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  let layout: Layout = x.layout;
  if (layout === 'nchw' && !keep) {
    // Without keep_dims the remaining axes must come out in TF order.
    const physical = kept.map((a) => at(NCHW_AXIS, a, 'axis'));
    if (physical.some((p, i) => i > 0 && p < at(physical, i - 1, 'axis'))) layout = 'plain';
  }
  const onnxAxes = layout === 'nchw' ? axes.map((a) => at(NCHW_AXIS, a, 'axis')) : axes;
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => at(x.shape, i, 'shape'));
  const out = b.fresh(node.name);
  if (onnxOp === 'ReduceSum') b.node('ReduceSum', [b.as(x, layout, node.name), b.int64Init(`${node.name}/axes`, onnxAxes)], out, [intAttr('keepdims', keep ? 1 : 0)]);
  else b.node(onnxOp, [b.as(x, layout, node.name)], out, [intsAttr('axes', onnxAxes), intAttr('keepdims', keep ? 1 : 0)]);
  return { name: out, layout: keep ? layout : shape.length === 4 ? layout : 'plain', shape, dtype: 'float' };
}

function softmax(ctx: Ctx): Value {
  const x = input(ctx, 0);
  const axis = x.layout === 'nchw' ? 1 : -1;
  const out = ctx.b.node('Softmax', [ctx.b.as(x, x.layout, ctx.node.name)], ctx.b.fresh(ctx.node.name), [intAttr('axis', axis)]);
  return { name: out, layout: x.layout, shape: x.shape, dtype: 'float' };
}

function resize(ctx: Ctx, mode: 'linear' | 'nearest'): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const [oh, ow] = constInts(ctx, 1) as [number, number];
  const [n, , , c] = x.shape as [number, number, number, number];
  const alignCorners = attrBool(node, 'align_corners');
  const halfPixel = attrBool(node, 'half_pixel_centers');
  const attrs = [stringAttr('mode', mode)];
  if (mode === 'linear') {
    attrs.push(stringAttr('coordinate_transformation_mode', alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric'));
  } else {
    if (alignCorners) attrs.push(stringAttr('coordinate_transformation_mode', 'align_corners'), stringAttr('nearest_mode', 'round_prefer_ceil'));
    else if (halfPixel) attrs.push(stringAttr('coordinate_transformation_mode', 'tf_half_pixel_for_nn'), stringAttr('nearest_mode', 'floor'));
    else attrs.push(stringAttr('coordinate_transformation_mode', 'asymmetric'), stringAttr('nearest_mode', 'floor'));
  }
  const out = b.node('Resize', [b.as(x, 'nchw', node.name), '', '', b.int64Init(`${node.name}/sizes`, [n, c, oh, ow])], b.fresh(node.name), attrs);
  return { name: out, layout: 'nchw', shape: [n, oh, ow, c], dtype: 'float' };
}

function matmul(ctx: Ctx): Value {
  const { b, node } = ctx;
  const a = input(ctx, 0);
  const w = input(ctx, 1);
  if (a.shape.length !== 2 || w.shape.length !== 2) throw new Error(`${node.name}: MatMul of rank-2 tensors only`);
  const transA = attrBool(node, 'transpose_a');
  const transB = attrBool(node, 'transpose_b');
  const m = at(a.shape, transA ? 1 : 0, 'a');
  const nOut = at(w.shape, transB ? 0 : 1, 'b');
  const inputs = [b.as(a, 'plain', node.name), b.as(w, 'plain', node.name)];
  const fused = attrStrings(node, 'fused_ops');
  let rest = fused;
  if (fused[0] === 'BiasAdd') {
    inputs.push(b.as(input(ctx, 2), 'plain', node.name));
    rest = fused.slice(1);
  }
  let out = b.node('Gemm', inputs, b.fresh(node.name), [intAttr('transA', transA ? 1 : 0), intAttr('transB', transB ? 1 : 0)]);
  const shape = [m, nOut];
  for (const act of rest) out = activation(ctx, act, out, shape, act === 'Prelu' ? input(ctx, 3) : undefined);
  return { name: out, layout: 'plain', shape, dtype: 'float' };
}

function squeeze(ctx: Ctx): Value {
  const { b, node } = ctx;
  const x = input(ctx, 0);
  const rank = x.shape.length;
  const dims = attrInts(node, 'squeeze_dims', attrInts(node, 'axis', [])).map((d) => (d < 0 ? d + rank : d));
  const axes = dims.length ? dims : x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const out = b.node('Squeeze', [b.as(x, 'plain', node.name), b.int64Init(`${node.name}/axes`, axes)], b.fresh(node.name));
  return { name: out, layout: 'plain', shape, dtype: 'float' };
}

/** Converts a parsed TFJS graph to ONNX bytes. Deterministic: same graph, same bytes. */
export function tfjsGraphToOnnx(graph: TfGraph, options: ConvertOptions): ConvertResult {
  const b = new Builder();
  const values = new Map<string, Value>();
  const graphInputs: IValueInfoProto[] = [];
  const inputsInfo: { name: string; shape: number[] }[] = [];
  const ops: Record<string, number> = {};
  const consumed = new Set<string>();
  for (const node of graph.nodes) for (const i of node.input ?? []) consumed.add(i.replace(/^\^/, '').replace(/:\d+$/, ''));

  for (const node of graph.nodes) {
    const fused = attrStrings(node, 'fused_ops');
    const opKey = fused.length ? `${node.op}[${fused.join(',')}]` : node.op;
    ops[opKey] = (ops[opKey] ?? 0) + 1;
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^')).map((ref) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(ref);
      const name = m?.[1] ?? ref;
      if (m?.[2] && m[2] !== '0') throw new Error(`${node.name}: multi-output input ${ref} is not supported`);
      const v = values.get(name);
      if (!v) throw new Error(`${node.name} (${node.op}): input ${ref} is not defined before use`);
      return v;
    });
    const ctx: Ctx = { b, node, inputs };
    let out: Value;
    switch (node.op) {
      case 'Const': {
        const w = graph.weights.get(node.name);
        if (!w) throw new Error(`${node.name}: constant without weight data`);
        out = { name: '', layout: 'plain', shape: w.shape, constant: w.data, dtype: w.dtype === 'float32' ? 'float' : 'int' };
        break;
      }
      case 'Placeholder': {
        const dims = (attrOf(node, 'shape')?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
        const shape = options.inputShapes?.[node.name] ?? dims.map((d, i) => (d === -1 && i === 0 ? 1 : d));
        if (shape.some((d) => d < 1)) throw new Error(`${node.name}: input shape [${dims}] has unknown dimensions; give inputShapes`);
        graphInputs.push(valueInfo(node.name, shape));
        inputsInfo.push({ name: node.name, shape });
        out = { name: node.name, layout: 'plain', shape, dtype: 'float' };
        if (shape.length === 4) out = { ...out, name: b.as(out, 'nchw', node.name), layout: 'nchw' };
        break;
      }
      case 'Identity': case 'StopGradient': case 'NoOp':
        out = input(ctx, 0);
        break;
      case 'Conv2D': case '_FusedConv2D': out = convolution(ctx, false); break;
      case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2dNative': out = convolution(ctx, true); break;
      case 'Conv2DBackpropInput': out = conv2dBackpropInput(ctx); break;
      case 'MaxPool': out = pool(ctx, 'MaxPool'); break;
      case 'AvgPool': out = pool(ctx, 'AveragePool'); break;
      case 'Relu': case 'Relu6': case 'Sigmoid': case 'Tanh': case 'Elu': case 'LeakyRelu': out = unary(ctx, node.op); break;
      case 'Prelu': {
        const x = input(ctx, 0);
        out = { name: activation(ctx, 'Prelu', b.as(x, x.layout, node.name), x.shape, input(ctx, 1)), layout: x.layout, shape: x.shape, dtype: 'float' };
        break;
      }
      case 'Add': case 'AddV2': case 'BiasAdd': out = elementwise(ctx, 'Add', inputs); break;
      case 'Sub': out = elementwise(ctx, 'Sub', inputs); break;
      case 'Mul': out = elementwise(ctx, 'Mul', inputs); break;
      case 'RealDiv': out = elementwise(ctx, 'Div', inputs); break;
      case 'Maximum': out = elementwise(ctx, 'Max', inputs); break;
      case 'Minimum': out = elementwise(ctx, 'Min', inputs); break;
      case 'AddN': out = elementwise(ctx, 'Sum', inputs); break;
      case 'Pad': case 'PadV2': case 'MirrorPad': out = pad(ctx); break;
      case 'Reshape': out = reshape(ctx); break;
      case 'ConcatV2': out = concat(ctx); break;
      case 'Mean': out = reduce(ctx, 'ReduceMean'); break;
      case 'Sum': out = reduce(ctx, 'ReduceSum'); break;
      case 'Max': out = reduce(ctx, 'ReduceMax'); break;
      case 'Softmax': out = softmax(ctx); break;
      case 'ResizeBilinear': out = resize(ctx, 'linear'); break;
      case 'ResizeNearestNeighbor': out = resize(ctx, 'nearest'); break;
      case 'MatMul': case '_FusedMatMul': out = matmul(ctx); break;
      case 'Squeeze': out = squeeze(ctx); break;
      default:
        throw new Error(`${node.name}: TF op ${node.op} is not supported by the converter`);
    }
    values.set(node.name, out);
  }

  const outputNames = options.outputs ?? graph.nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
  const graphOutputs: IValueInfoProto[] = [];
  const outputsInfo: { name: string; shape: number[] }[] = [];
  for (const name of outputNames) {
    const v = values.get(name);
    if (!v || v.constant) throw new Error(`output ${name} is not a computed value of the graph`);
    b.node('Identity', [b.as(v, 'plain', name)], name);
    graphOutputs.push(valueInfo(name, v.shape));
    outputsInfo.push({ name, shape: v.shape });
  }

  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'cabine tfjs-to-onnx',
    producerVersion: '1',
    docString: options.doc ?? '',
    graph: {
      name: options.name,
      node: b.nodes,
      initializer: b.initializers,
      input: graphInputs,
      output: graphOutputs,
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), inputs: inputsInfo, outputs: outputsInfo, ops };
}
