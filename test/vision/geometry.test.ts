// Gaze and head pose on synthetic landmark geometry whose true answer is known: the vertical
// gaze against the clinical lid norms (geometry.ts, PRIMARY_GAZE_LID_FRACTION), and the sign of
// pitch and of its hint (a raised chin is told to come down).
import t from 'tap';
import type { FaceAnalysis, ImageAnalysis, Point3 } from '../../src/vision/analysis.ts';
import { buildContext, runChecks } from '../../src/vision/checks.ts';
import { PRIMARY_GAZE_LID_FRACTION, eyeGaze, headPose } from '../../src/vision/geometry.ts';
import { HINTS } from '../../src/vision/hints.ts';
import { LIMITS } from '../../src/vision/limits.ts';

const MM = 2; // pixels per millimetre of the synthetic face
const EYEBALL_MM = 12;

/**
 * A frontal face (MM pixels per mm): eyes 64 mm apart, each 30 mm wide, lids 10 mm apart
 * around the pupil's primary place, iris 11.7 mm across displaced by `down` mm
 * (positive: looking down) and `right` mm; chin 120 mm below the eyes; `chinZ` moves the chin
 * towards (negative) or away from the camera.
 */
function face(opts: { down?: number; right?: number; chinZ?: number } = {}): FaceAnalysis {
  const lm: Point3[] = Array.from({ length: 468 }, () => [500, 500, 0]);
  const set = (i: number, x: number, y: number, z = 0) => (lm[i] = [500 + x * MM, 400 + y * MM, z * MM]);
  const opening = 10;
  const upper = -PRIMARY_GAZE_LID_FRACTION * opening;
  const lower = upper + opening;
  const irises = {} as NonNullable<FaceAnalysis['irises']>;
  for (const [side, cx, outer, inner, up, lo] of [
    ['right', -32, 33, 133, [160, 159, 158], [144, 145, 153]],
    ['left', 32, 263, 362, [387, 386, 385], [373, 374, 380]],
  ] as const) {
    const o = side === 'right' ? -1 : 1;
    set(outer, cx + o * 15, 0);
    set(inner, cx - o * 15, 0);
    up.forEach((i, k) => set(i, cx + (k - 1) * 6, upper));
    lo.forEach((i, k) => set(i, cx + (k - 1) * 6, lower));
    irises[side] = { centre: [500 + (cx + (opts.right ?? 0)) * MM, 400 + (opts.down ?? 0) * MM], radius: (11.7 / 2) * MM };
  }
  set(10, 0, -90, 0);
  set(152, 0, 120, opts.chinZ ?? 0);
  set(234, -75, 20, 40);
  set(454, 75, 20, 40);
  return { score: 0.99, box: { x: 300, y: 200, width: 400, height: 500 }, landmarks: lm, irises };
}

const image = { width: 1000, height: 1286, data: Buffer.alloc(1000 * 1286 * 3, 180) };
const analysis = (f: FaceAnalysis): ImageAnalysis => ({ width: image.width, height: image.height, faces: [f] });
const gazeCheck = (f: FaceAnalysis) => runChecks(buildContext(image, analysis(f)), { only: ['gaze'] })[0]!;
const deg = (mm: number) => (Math.asin(mm / EYEBALL_MM) * 180) / Math.PI;

t.test('vertical gaze: zero in primary gaze, the eyeball angle when the iris moves in the lids', async (t) => {
  t.ok(Math.abs(eyeGaze(face(), 'right')!.verticalDeg) < 0.01, 'pupil at the MRD1/MRD2 norm reads 0°');
  for (const down of [-2.5, -1, 1, 2.5, 4]) {
    const g = eyeGaze(face({ down }), 'left')!;
    t.ok(Math.abs(g.verticalDeg - deg(down)) < 0.05, `${down} mm → ${g.verticalDeg.toFixed(2)}° (expected ${deg(down).toFixed(2)}°)`);
    t.ok(Math.abs(g.horizontalDeg) < 0.01, 'no horizontal component');
  }
  const h = eyeGaze(face({ right: 1.5 }), 'right')!;
  t.ok(Math.abs(h.horizontalDeg - deg(1.5)) < 0.05 && Math.abs(h.verticalDeg) < 0.05, 'horizontal only');
});

t.test('the gaze check fails beyond its vertical limit and says where to look', async (t) => {
  const limitMm = EYEBALL_MM * Math.sin((LIMITS.gazeVerticalMaxDeg.value * Math.PI) / 180);
  const ok = gazeCheck(face({ down: 0.8 * limitMm }));
  t.equal(ok.pass, true, 'inside the limit');
  t.same(ok.limit, { horizontalDeg: LIMITS.gazeMaxDeg.value, verticalDeg: LIMITS.gazeVerticalMaxDeg.value });
  const down = gazeCheck(face({ down: 1.3 * limitMm }));
  t.equal(down.pass, false, 'looking down (at a screen under the lens) fails');
  t.same(down.hint, HINTS.lookUpAtLens);
  t.ok((down.value as { verticalDeg: number }).verticalDeg > LIMITS.gazeVerticalMaxDeg.value);
  const up = gazeCheck(face({ down: -1.3 * limitMm }));
  t.equal(up.pass, false, 'looking up fails');
  t.same(up.hint, HINTS.lookAtLens);
  const side = gazeCheck(face({ right: 3 }));
  t.equal(side.pass, false, 'looking aside fails (14°)');
});

t.test('pitch: positive when the chin comes nearer the camera; the hint says lower it', async (t) => {
  // Chin 21 mm nearer than the forehead top over 210 mm: atan(0.1) = 5.7° chin up.
  const up = face({ chinZ: -21 });
  t.ok(Math.abs(headPose(up).pitchDeg - 5.71) < 0.05, `chin up reads ${headPose(up).pitchDeg.toFixed(2)}°`);
  const pose = (chinZ: number) => runChecks(buildContext(image, analysis(face({ chinZ }))), { only: ['head.pose'] })[0]!;
  // The pitch limit is the standard's 5° plus the estimator's error between people (limits.ts):
  // a tilt 2° inside it passes, 2° beyond it fails with the hint that undoes it.
  const zFor = (deg: number) => -210 * Math.tan((deg * Math.PI) / 180);
  const limit = LIMITS.pitchMaxDeg.value;
  t.ok(limit >= 5, 'never tighter than the standard');
  t.equal(pose(zFor(limit - 2)).pass, true, `${limit - 2}° chin up passes`);
  const r = pose(zFor(limit + 2));
  t.equal(r.pass, false, `${limit + 2}° chin up fails`);
  t.same(r.hint, HINTS.chinDown, 'a raised chin is told to come down');
  const down = pose(-zFor(limit + 2));
  t.equal(down.pass, false, `${limit + 2}° chin down fails`);
  t.same(down.hint, HINTS.chinUp, 'a lowered chin is told to come up');
  t.ok(Math.abs(headPose(face()).pitchDeg) < 0.01 && Math.abs(headPose(face()).yawDeg) < 0.01, 'frontal reads 0');
});

t.test('expression: a smile ("happy") fails at even odds; the other classes only beyond their spread on resting faces', async (t) => {
  // A level closed mouth (no corner lift) under the eyes, and the emotion model's verdict given.
  const expression = (emotion: NonNullable<FaceAnalysis['emotion']>) => {
    const f = face();
    for (const [i, x, y] of [[61, -25, 70], [291, 25, 70], [13, 0, 70], [14, 0, 70]] as const) f.landmarks[i] = [500 + x * MM, 400 + y * MM, 0];
    return runChecks(buildContext(image, analysis({ ...f, emotion })), { only: ['expression.neutral'] })[0]!;
  };
  t.equal(LIMITS.emotionHappyMax.value, 0.5, 'a smile at even odds: the sheet asks for a neutral expression');
  t.ok(LIMITS.emotionOtherMax.value >= 0.5 && LIMITS.emotionOtherMax.value < 1, 'the other classes: even odds ⊕ their measured spread');
  t.equal(expression({ neutral: 0.9, happy: 0.1 }).pass, true, 'neutral passes');
  const smile = expression({ neutral: 0.45, happy: 0.55 });
  t.equal(smile.pass, false, 'happy 0.55 fails');
  t.same(smile.hint, HINTS.neutral);
  t.same(smile.value, { cornerLift: 0, happy: 0.55, otherExpression: 0 });
  t.equal(expression({ neutral: 0.45, fear: 0.55 }).pass, true, 'a resting face read "fear" at 0.55 passes');
  const other = LIMITS.emotionOtherMax.value;
  t.equal(expression({ neutral: 1 - other + 0.01, angry: other - 0.01 }).pass, true, `angry ${other - 0.01} passes`);
  t.equal(expression({ neutral: 1 - other - 0.01, angry: other + 0.01 }).pass, false, `angry ${other + 0.01} fails`);
});
