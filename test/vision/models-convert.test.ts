// The TFJS → ONNX converter: every converted model computes what the reference runtime
// (@tensorflow/tfjs, CPU backend) computes on real photographs, within 1e-3; the build is
// deterministic and matches the committed manifest; bad sources give clear errors.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { convertSource, readManifest, buildModels, sha256 } from '../../src/vision/models/build.ts';
import { MODEL_SOURCES, MODEL_PACKAGE, type ModelName } from '../../src/vision/models/sources.ts';
import { readTfjsGraph, halfToFloat } from '../../src/vision/models/convert/tfjs-graph.ts';
import { tfjsGraphToOnnx } from '../../src/vision/models/convert/to-onnx.ts';
import { decodeImage, letterbox, sampleRoi, stretch, type Roi } from '../../src/vision/models/image.ts';
import { loadFaceModels } from '../../src/vision/models/face-models.ts';
import type { FaceModels, RgbImage } from '../../src/vision/models/types.ts';

const fixtures = new URL('../fixtures/faces/', import.meta.url).pathname;
const pkgDir = dirname(createRequire(import.meta.url).resolve(`${MODEL_PACKAGE}/package.json`));
// |onnx - tfjs| <= 1e-3 for values up to 1, and 1e-3 relative beyond: float32 itself cannot
// hold, say, a detector logit of -9100 to better than ~1e-3 absolute.
const TOLERANCE = 1e-3;

async function loadTfjs(file: string): Promise<tf.GraphModel> {
  const jsonPath = join(pkgDir, file);
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    modelTopology: object; format?: string;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))));
  const all = Buffer.concat(buffers);
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    ...(json.format ? { format: json.format } : {}),
  }));
}

function scaled(data: Float32Array, f: (v: number) => number): Float32Array {
  return data.map(f);
}

function grey(rgb: Float32Array): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = ((0.2989 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!) / 255 - 0.5) * 2;
  return out;
}

/** Real inputs for each model, made from the fixture photographs the way the runtime makes them. */
async function realInputs(models: FaceModels, images: RgbImage[]): Promise<Record<ModelName, Float32Array[]>> {
  const inputs: Record<ModelName, Float32Array[]> = { blazeface: [], facemesh: [], iris: [], emotion: [], selfie: [] };
  for (const image of images) {
    inputs.blazeface.push(scaled((await letterbox(image, 256)).tensor, (v) => v / 127.5 - 1));
    inputs.selfie.push(scaled(await stretch(image, 256, 256), (v) => v / 255));
    for (const det of await models.detectFaces(image, { minScore: 0.5 })) {
      const { rightEye, leftEye } = det.keypoints;
      const faceRoi: Roi = { cx: det.box.x + det.box.width / 2, cy: det.box.y + det.box.height / 2, size: det.box.width * 1.5, angle: Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x) };
      inputs.facemesh.push(scaled(sampleRoi(image, faceRoi, 192), (v) => v / 255));
      inputs.emotion.push(grey(sampleRoi(image, { ...faceRoi, size: det.box.width * 1.3 }, 64)));
      const lm = await models.landmarks(image, det);
      for (const [a, b, flip] of [[33, 133, false], [263, 362, true]] as const) {
        const p = lm.points[a]!;
        const q = lm.points[b]!;
        const eye: Roi = { cx: (p.x + q.x) / 2, cy: (p.y + q.y) / 2, size: Math.hypot(p.x - q.x, p.y - q.y) * 2.3, angle: lm.roll };
        inputs.iris.push(scaled(sampleRoi(image, eye, 64, flip), (v) => v / 255));
      }
    }
  }
  return inputs;
}

t.test('converted models match the TFJS reference runtime on real photographs', async (t) => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'cabine-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  buildModels({ outDir: dir });
  const models = await loadFaceModels(dir);
  t.teardown(() => models.close());
  const images = [await decodeImage(join(fixtures, 'astronaut.png')), await decodeImage(join(fixtures, 'no-face-coffee.png'))];
  const inputs = await realInputs(models, images);
  const manifest = readManifest()!;
  for (const src of MODEL_SOURCES) {
    const entry = manifest.models[src.name]!;
    const session = await ort.InferenceSession.create(join(dir, entry.onnx));
    t.teardown(() => session.release());
    const reference = await loadTfjs(src.file);
    const input = entry.inputs[0]!;
    t.ok(inputs[src.name].length > 0, `${src.name}: has real inputs`);
    for (const [n, data] of inputs[src.name].entries()) {
      const ours = await session.run({ [input.name]: new ort.Tensor('float32', data, input.shape) });
      const theirs = tf.tidy(() => {
        const res = reference.execute(tf.tensor(data, input.shape), entry.outputs.map((o) => o.name));
        return (Array.isArray(res) ? res : [res]).map((r) => r.dataSync().slice());
      });
      entry.outputs.forEach((o, i) => {
        const a = ours[o.name]!.data as Float32Array;
        const b = theirs[i]!;
        let maxDiff = 0;
        let maxAbs = 0;
        for (let j = 0; j < a.length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[j]! - b[j]!) / Math.max(1, Math.abs(b[j]!)));
          maxAbs = Math.max(maxAbs, Math.abs(b[j]!));
        }
        t.equal(a.length, b.length, `${src.name}#${n} ${o.name}: same size`);
        t.ok(maxAbs > 0, `${src.name}#${n} ${o.name}: reference output is not all zero`);
        t.ok(maxDiff <= TOLERANCE, `${src.name}#${n} ${o.name}: max |onnx - tfjs| / max(1, |tfjs|) = ${maxDiff.toExponential(2)} <= ${TOLERANCE} (values up to ${maxAbs.toFixed(2)})`);
      });
    }
    reference.dispose();
  }
});

t.test('the build is deterministic and matches the committed manifest', async (t) => {
  const manifest = readManifest();
  t.ok(manifest, 'manifest.json is committed');
  for (const src of MODEL_SOURCES) {
    const a = convertSource(src);
    const b = convertSource(src);
    t.equal(sha256(a.bytes), sha256(b.bytes), `${src.name}: two conversions give the same bytes`);
    const entry = manifest!.models[src.name]!;
    t.equal(a.entry.version, entry.version, `${src.name}: same source package version`);
    t.same(a.entry.sources, entry.sources, `${src.name}: same source file hashes`);
    t.equal(a.entry.sha256, entry.sha256, `${src.name}: output hash recorded in the manifest`);
  }
});

t.test('build checks the files it leaves behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = buildModels({ outDir: dir });
  t.same(first.models.map((m) => m.status), MODEL_SOURCES.map(() => 'built'));
  const second = buildModels({ outDir: dir });
  t.same(second.models.map((m) => m.status), MODEL_SOURCES.map(() => 'up-to-date'), 'a second run skips outputs that match');
  writeFileSync(join(dir, 'iris.onnx'), 'truncated');
  const third = buildModels({ outDir: dir });
  t.equal(third.models.find((m) => m.name === 'iris')?.status, 'built', 'an altered output is rebuilt');
  t.equal(sha256(readFileSync(join(dir, 'iris.onnx'))), readManifest()!.models.iris!.sha256);
});

t.test('bad sources give clear errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-tfjs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'm'));
  const topology = (op: string) => ({
    format: 'graph-model',
    modelTopology: { node: [
      { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '4' }] } } } },
      { name: 'y', op, input: ['x'] },
    ] },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'c', shape: [2], dtype: 'float32' }] }],
  });
  writeFileSync(join(dir, 'm', 'w.bin'), Buffer.alloc(8));
  writeFileSync(join(dir, 'm', 'ok.json'), JSON.stringify(topology('Relu')));
  const ok = tfjsGraphToOnnx(readTfjsGraph(join(dir, 'm', 'ok.json')), { name: 'ok' });
  t.same(ok.outputs, [{ name: 'y', shape: [1, 4] }], 'a tiny graph converts');
  const session = await ort.InferenceSession.create(ok.bytes);
  const res = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]) });
  t.same(Array.from(res.y!.data as Float32Array), [0, 2, 0, 4], 'and runs');
  await session.release();

  writeFileSync(join(dir, 'm', 'bad-op.json'), JSON.stringify(topology('Einsum')));
  t.throws(() => tfjsGraphToOnnx(readTfjsGraph(join(dir, 'm', 'bad-op.json')), { name: 'x' }), /TF op Einsum is not supported/);
  writeFileSync(join(dir, 'm', 'short.bin'), Buffer.alloc(3));
  writeFileSync(join(dir, 'm', 'short.json'), JSON.stringify({ ...topology('Relu'), weightsManifest: [{ paths: ['short.bin'], weights: [{ name: 'c', shape: [2], dtype: 'float32' }] }] }));
  t.throws(() => readTfjsGraph(join(dir, 'm', 'short.json')), /weight c: needs 8 bytes at 0, the shard has 3/);
  writeFileSync(join(dir, 'm', 'garbage.json'), '{"hello": 1}');
  t.throws(() => readTfjsGraph(join(dir, 'm', 'garbage.json')), /not a TensorFlow.js graph model/);
});

t.test('float16 weights decode exactly', async (t) => {
  t.equal(halfToFloat(0x3c00), 1);
  t.equal(halfToFloat(0xc000), -2);
  t.equal(halfToFloat(0x7bff), 65504);
  t.equal(halfToFloat(0x0001), 2 ** -24, 'subnormal');
  t.equal(halfToFloat(0x7c00), Infinity);
  t.ok(Number.isNaN(halfToFloat(0x7e00)));
});
