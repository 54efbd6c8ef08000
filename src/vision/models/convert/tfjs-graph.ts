// Reads a TensorFlow.js graph model (model.json + weight shards) into plain data: the node list
// and every weight decoded to Float32Array / Int32Array, exactly as tfjs itself decodes them
// (float16 and affine uint8/uint16 quantisation included), so the ONNX file built from it
// computes what the tfjs reference runtime computes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const attrValue = z.object({
  i: z.union([z.string(), z.number()]).optional(),
  f: z.number().optional(),
  b: z.boolean().optional(),
  s: z.string().optional(),
  type: z.string().optional(),
  shape: z.object({ dim: z.array(z.object({ size: z.union([z.string(), z.number()]).optional() })).optional(), unknownRank: z.boolean().optional() }).optional(),
  list: z.object({
    i: z.array(z.union([z.string(), z.number()])).optional(),
    f: z.array(z.number()).optional(),
    s: z.array(z.string()).optional(),
    type: z.array(z.string()).optional(),
  }).optional(),
  tensor: z.unknown().optional(),
}).loose();

const nodeSchema = z.object({
  name: z.string(),
  op: z.string(),
  input: z.array(z.string()).optional(),
  attr: z.record(z.string(), attrValue).optional(),
});

const weightSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z.object({
    dtype: z.enum(['float16', 'uint8', 'uint16']),
    min: z.number().optional(),
    scale: z.number().optional(),
  }).optional(),
});

const modelSchema = z.object({
  format: z.string().optional(),
  modelTopology: z.object({ node: z.array(nodeSchema) }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSchema) })),
  signature: z.unknown().optional(),
});

export type TfNode = z.infer<typeof nodeSchema>;
export type TfAttr = z.infer<typeof attrValue>;

export interface TfWeight {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TfGraph {
  nodes: TfNode[];
  weights: Map<string, TfWeight>;
  /** The model.json as parsed, for a reference runtime that wants to load it unchanged. */
  json: unknown;
}

/** IEEE 754 half → float, exact (every half value is representable as a float). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Decodes one weight from its bytes; returns the decoded weight and the number of bytes used. */
function decodeWeight(spec: z.infer<typeof weightSchema>, bytes: Buffer, offset: number): { weight: TfWeight; size: number } {
  const n = numel(spec.shape);
  const q = spec.quantization;
  const view = (size: number): Buffer => {
    if (offset + size > bytes.length) throw new Error(`weight ${spec.name}: needs ${size} bytes at ${offset}, the shard has ${bytes.length}`);
    return bytes.subarray(offset, offset + size);
  };
  if (q) {
    if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: quantised ${spec.dtype} is not supported`);
    const out = new Float32Array(n);
    if (q.dtype === 'float16') {
      const b = view(n * 2);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(b.readUInt16LE(i * 2));
      return { weight: { dtype: 'float32', shape: spec.shape, data: out }, size: n * 2 };
    }
    if (q.min === undefined || q.scale === undefined) throw new Error(`weight ${spec.name}: affine quantisation without min/scale`);
    const width = q.dtype === 'uint8' ? 1 : 2;
    const b = view(n * width);
    for (let i = 0; i < n; i++) {
      const v = width === 1 ? b.readUInt8(i) : b.readUInt16LE(i * 2);
      out[i] = v * q.scale + q.min;
    }
    return { weight: { dtype: 'float32', shape: spec.shape, data: out }, size: n * width };
  }
  if (spec.dtype === 'float32') {
    const b = view(n * 4);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = b.readFloatLE(i * 4);
    return { weight: { dtype: 'float32', shape: spec.shape, data: out }, size: n * 4 };
  }
  if (spec.dtype === 'int32') {
    const b = view(n * 4);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = b.readInt32LE(i * 4);
    return { weight: { dtype: 'int32', shape: spec.shape, data: out }, size: n * 4 };
  }
  const b = view(n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = b.readUInt8(i) ? 1 : 0;
  return { weight: { dtype: 'bool', shape: spec.shape, data: out }, size: n };
}

/** Reads model.json and its shards (paths relative to the json file). */
export function readTfjsGraph(jsonPath: string): TfGraph {
  const json: unknown = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const parsed = modelSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${jsonPath}: not a TensorFlow.js graph model: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const weights = new Map<string, TfWeight>();
  for (const group of parsed.data.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
    let offset = 0;
    for (const spec of group.weights) {
      const { weight, size } = decodeWeight(spec, bytes, offset);
      weights.set(spec.name, weight);
      offset += size;
    }
    if (offset !== bytes.length) throw new Error(`${jsonPath}: weight shards hold ${bytes.length} bytes, the manifest describes ${offset}`);
  }
  return { nodes: parsed.data.modelTopology.node, weights, json };
}

/** The files a graph model is made of (model.json first), for hashing. */
export function tfjsGraphFiles(jsonPath: string): string[] {
  const parsed = modelSchema.parse(JSON.parse(readFileSync(jsonPath, 'utf8')));
  return [jsonPath, ...parsed.weightsManifest.flatMap((g) => g.paths.map((p) => join(dirname(jsonPath), p)))];
}
