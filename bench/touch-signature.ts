// Touch panel figures: scan reports assembled per second (driver logic without I/O), and the
// time to render a signature PNG. Run: node --import tsx bench/touch-signature.ts
import { loadRecording, scanFrames, Signature } from '../src/hal/touch/index.ts';
import { defaultFilterOptions, StrokeAssembler } from '../src/hal/touch/strokes.ts';

const recording = loadRecording(new URL('../test/fixtures/signatures/martin.json', import.meta.url).pathname);
const frames = scanFrames(recording);
const sink = { point() {}, stroke() {}, cancel() {} };

let scans = 0;
const t0 = performance.now();
let strokes = new StrokeAssembler(defaultFilterOptions(800, 480), sink).strokes();
while (performance.now() - t0 < 1000) {
  const assembler = new StrokeAssembler(defaultFilterOptions(800, 480), sink);
  for (const frame of frames) assembler.feed(frame.points, frame.t);
  assembler.flush();
  strokes = assembler.strokes();
  scans += frames.length;
}
const assembleRate = scans / ((performance.now() - t0) / 1000);

const signature = new Signature(strokes, recording.panel, 0);
await signature.png(); // warm-up (librsvg, zlib)
const runs = 20;
const r0 = performance.now();
let bytes = 0;
for (let i = 0; i < runs; i++) bytes = (await signature.png()).length;
const renderMs = (performance.now() - r0) / runs;

console.log(JSON.stringify({
  recording: recording.name,
  scansPerSignature: frames.length,
  assembledScansPerSecond: Math.round(assembleRate),
  pngRenderMs: Number(renderMs.toFixed(1)),
  pngBytes: bytes,
  strokes: strokes.length,
}));
