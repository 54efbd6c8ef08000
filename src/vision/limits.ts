// Every limit the ANTS checks apply, in one table, each with where it comes from. The official
// sheet (shared/seeds/003: "Quelle photo fournir pour un titre d'identité", service-public.fr,
// 2022) is the authority; where it says only "correct" or "no", the limit comes from ICAO Doc
// 9303 part 3 / ISO/IEC 19794-5 (and its successor ISO/IEC 39794-5) or from a physical
// argument written next to it. docs/vision.md prints this table.

export interface Limit {
  value: number;
  unit: string;
  source: string;
}

const L = (value: number, unit: string, source: string): Limit => ({ value, unit, source });

export const PHOTO = {
  /** The photo: 35 x 45 mm (sheet). */
  widthMm: 35,
  heightMm: 45,
  /** Where the crop puts the chin-to-crown height (the middle of 32-36 mm, issue 6). */
  faceMm: 34,
  /** Crown (hair excluded) below the top edge in the crop: leaves 8 mm under the chin, eyes at 55 % of the height. */
  crownMarginMm: 3,
  /** E-photo: 600 dpi sRGB JPEG (no published ANTS figure; ISO/IEC 39794-5 asks ≥ 300 ppi for printed-photo scans). */
  ephotoDpi: 600,
  /** Print on the 10x15 board: the printer's 300 dpi. */
  printDpi: 300,
} as const;

export const LIMITS = {
  faceHeightMinMm: L(32, 'mm', 'sheet: face 3.2-3.6 cm from chin to crown, hair excluded'),
  faceHeightMaxMm: L(36, 'mm', 'sheet: face 3.2-3.6 cm from chin to crown, hair excluded'),
  faceCentreMaxOffsetPct: L(5, '% of width', 'ISO/IEC 19794-5 (full frontal geometry): face midline within 45-55 % of the width'),
  eyeLineMinPct: L(50, '% of height from the bottom', 'ISO/IEC 19794-5 (full frontal geometry): eye line between 50 and 70 % of the height'),
  eyeLineMaxPct: L(70, '% of height from the bottom', 'ISO/IEC 19794-5 (full frontal geometry): eye line between 50 and 70 % of the height'),
  yawMaxDeg: L(6.7, '°', 'ISO/IEC 19794-5 (frontal pose): yaw within ±5° of real turn, plus the landmark estimator\'s error between people facing the lens: |yaw| p95 4.45° on the derive split\'s compliant portraits as booth captures (London even sitters + Canada even, bench/vision-real.ts). √(5² + 4.45²) = 6.7°. A re-rendered turn reads about three quarters of itself (the outer hair and ears stay put): test/vision/limits-real-photos.test.ts turns by 11°, read 8.3-8.8°, and fails; a sitter turned ≈ 9° reads 8.6° (London 139, labelled head-turned)'),
  pitchMaxDeg: L(16, '°', 'ISO/IEC 19794-5 (frontal pose): pitch within ±5° of real tilt, plus the landmark estimator\'s error between people on level heads. On the 102 neutral-front portraits of the London Set (all facing the camera, heads level) pitch reads median +0.4°, |pitch| p50 3.5°, p90 9.4°, p95 10.5°, max 13.6° (30 beyond ±5°): the model reads face shape as pose. Limit = 5 + ⌈p95⌉ = 16°: 95 % of customers keep the standard\'s full ±5° of real tilt, and the extreme faces still pass with their head level. Re-derive with bench/vision-pose-spread.ts DIR (docs/vision.md, "Head pose tolerance"); ANTS checks pose visually'),
  rollMaxDeg: L(8, '°', 'ISO/IEC 19794-5 (frontal pose): roll within ±8°. Kept: on the 102 level London portraits |roll| reads p95 4.1°, max 5.3° (none beyond ±8°; bench/vision-pose-spread.ts)'),
  gazeMaxDeg: L(10, '° (horizontal)', 'sheet: look at the lens. ICAO 9303-3 and ISO/IEC 19794-5 ("eyes looking at the camera") give no number; ICAO allows ±5° of head pose, the eye-in-head angle gets twice that, the landmark precision being about ±3°'),
  gazeVerticalMaxDeg: L(10, '° (vertical)', 'sheet: look at the lens; ISO/IEC 19794-5 (eyes looking at the camera) give no number. The pupil sits at the clinical MRD1/MRD2 norm (4.5 / 5.25 mm) in the lid opening when looking ahead; the normal range of MRD1 (±1 mm) plus the lid landmarks\' ±1 mm is 2 mm of iris travel on a 12 mm eyeball, asin(2/12) ≈ 10°. Looking down at a screen 15 cm under a lens 60 cm away is 14°'),
  irisVisibleMin: L(0.5, 'of the iris diameter', 'sheet: eyes open and clearly visible. At least half the iris height between the lids (a relaxed open eye shows 0.7-1)'),
  mouthOpenMax: L(0.015, 'of mouth width²', 'sheet: mouth closed. No mouth cavity between the lips: the dark gap inside the inner lip contour. A closed mouth reads 0 plus the measure\'s spread (the dark line where the lips meet, landmark noise): p95 0.004, max 0.011 on the derive split\'s compliant portraits (London Set even sitters + Canada even, bench/vision-real.ts). √(0.01² + 0.011²) = 0.015, 0.01 being a few pixels of lip-contour noise. Teeth have their own limit (teethMaxMm2)'),
  teethMaxMm2: L(8.5, 'mm² at life size', 'sheet: mouth closed ("la bouche doit être fermée"); the issue: visible teeth fail. Teeth are what is between the lips and is not lip-red (enamel is near-neutral; shading keeps a*/(L*+16), so a tooth in the mouth\'s shade still counts). The least a viewer calls "teeth showing": one upper central incisor\'s width (8.5 mm, its mean mesiodistal width) by 1 mm of height, 8.5 mm², sized with the eye distance (63 mm). The compliant spread adds nothing: p95 0 mm² on the derive split\'s compliant portraits (max 6.0 on all 134: a specular highlight on dark lips, London 061), so √(8.5² + 0²) = 8.5'),
  smileLiftMax: L(0.076, 'of mouth width', 'sheet: neutral expression. A smile lifts the mouth corners by ≥ 4 % of the mouth width (≈ 2 mm); neutral mouths differ between people by |lift| p95 0.065 (derive split\'s compliant portraits, bench/vision-real.ts): √(0.04² + 0.065²) = 0.076. Below that the shape alone cannot tell a closed-lip smile from a mouth that turns up at rest: the expression model decides (emotionHappyMax)'),
  emotionHappyMax: L(0.5, 'probability', 'sheet: neutral expression (no smile). When the emotion model runs, a smile (its class "happy") at even odds or more fails'),
  emotionOtherMax: L(0.6, 'probability', 'sheet: neutral expression. The emotion model\'s other classes (sad, angry, fear, surprise, disgust) at even odds (0.5), plus their spread on resting faces: the strongest of them reads p95 0.33 on the derive split\'s compliant portraits (bench/vision-real.ts; the model calls resting faces "fear" or "angry" at 0.3-0.6). √(0.5² + 0.33²) = 0.6'),
  faceClippedMax: L(0.02, 'of face pixels', 'sheet: no over-exposure. At most 2 % of the face at full scale (specular catchlights excepted)'),
  faceCrushedMax: L(0.02, 'of face pixels', 'sheet: no under-exposure. At most 2 % of the face at black'),
  faceHighlightMinL: L(30, 'L*', 'sheet: no under-exposure. The brightest 5 % of the face reach L* 30: correctly exposed, even the darkest skin (reflectance ≈ 5 %) has highlights at L* 35-45'),
  contrastMinL: L(20, 'L* (p95 − p5)', 'sheet: correct contrast. ISO/IEC 29794-5 measures contrast as the spread of the face luminance; below 20 L* the face is flat (fog, flare, low-contrast print)'),
  sharpnessMaxBlurMm: L(0.12, 'mm (edge σ on the 35x45 photo)', 'sheet: sharp photo. Edge blur (Gaussian σ) under one arcminute seen from 40 cm (0.12 mm on the photo), the eye\'s resolution: softer is visibly blurred'),
  colourMinChroma: L(4, 'C*ab', 'sheet: colour strongly recommended. Skin in a colour photo has chroma 10-35; a gray or sepia-less monochrome image has < 2'),
  backgroundTextureMaxDeltaE: L(6.3, 'ΔE*ab (CMC 2:1 weighting; p95 of the backdrop\'s difference from its smooth surface)', 'sheet: plain background. ΔE 6 is a colour difference any viewer sees (ΔE 2.3 = just noticeable); patterns and objects exceed it. Plus the measure\'s spread on real compliant backdrops (fabric, JPEG noise, loose hair the mask misses): p95 1.86 on the derive split (bench/vision-real.ts; only photographed pixels: a crop reaching past the capture repeats its edge, which is not judged). √(6² + 1.86²) = 6.3'),
  backgroundMinL: L(60, 'L* (of the backdrop\'s lit part: the median of its brighter half)', 'sheet: light background (light blue, light grey). Mid-grey is L* 50; "light" is above 60. Read on the lit part of the backdrop, as the cast-shadow check reads it: a lamp\'s fall-off and vignetting darken the edges of a light backdrop without making it a dark one'),
  backgroundWhiteMinL: L(92, 'L*', 'sheet: white background forbidden. White paper photographs at L* 92-100; light grey backdrops at 65-88'),
  backgroundWhiteMaxChroma: L(6, 'C*ab', 'sheet: white background forbidden. A near-white with chroma above 6 is a light colour (e.g. light blue), not white'),
  faceShadowMaxStops: L(0.81, 'stops (brighter side / darker side)', 'sheet: no shadow on the face. Lighting ratio at most 1.5:1 (0.6 stop, flat shadowless portrait light) between the two halves, plus the spread of the measure on evenly lit faces (face shape, hair, skin): |stops| p95 0.545 on the derive split\'s compliant portraits (bench/vision-real.ts). √(0.6² + 0.545²) = 0.81 stop'),
  backgroundShadowMaxStops: L(0.97, 'stops (below the lit backdrop, over ≥ 1 % of the photo)', 'sheet: no cast shadow on the background. Same 1.5:1 ratio (0.6 stop) as on the face, plus the measure\'s spread on compliant portraits lit by real studio lamps (side fall-off the smooth surface does not follow): p95 0.765 stop on the derive split (bench/vision-real.ts; only photographed pixels: a crop reaching past the capture repeats its edge, which is not judged). √(0.6² + 0.765²) = 0.97 stop. Measured as: the visible backdrop (person mask, eroded) darker than its lit level (a smooth surface fitted to its upper envelope: light fall-off is not a shadow) over a patch of at least 1 % of the photo (≈ 4 x 4 mm, plainly visible)'),
  glassesTintMinRatio: L(0.65, 'luminance under the lenses / nose bridge', 'sheet: lenses neither tinted nor coloured. Bare skin under the eyes is ≈ 0.9 of the bridge; a category-1 tint (≤ 80 % transmission) gives ≤ 0.72'),
  glassesColourMaxDeltaE: L(15, 'ΔE*ab chroma shift under the lenses', 'sheet: lenses not coloured. Hue shift of the skin seen through the lenses vs the bridge'),
  glareMaxIrisFraction: L(0.35, 'of the iris area', 'sheet: no reflection on the glasses. A natural catchlight covers < 10 % of the iris; lens glare that hides more than a third of it fails'),
  glassesBridgeMinL: L(7.3, 'ΔE*ab (a bar across the nose between the eyes)', 'sheet: lenses neither tinted nor reflecting, judged where there are glasses. A spectacle frame crosses the nose between the eyes: a bar of at least ΔE 6 against the skin on both sides (the colour difference any viewer sees, as for the backdrop), plus what bare skin there reads (nasion shading, brow ends, frown lines, noise): p95 4.1 on the derive split\'s compliant portraits (London even sitters + Canada even, bench/vision-glasses.ts). √(6² + 4.1²) = 7.3'),
  sunglassesMaxLight: L(0.21, 'lens area light / cheek skin (linear)', 'sheet: lenses not tinted. Sunglasses are found without their frame when the lens area (eye, lids and the skin round them) is darker than a bare eye behind a category-2 filter: bare lens areas read median 0.50 of the cheek on the derive split (bench/vision-glasses.ts), × 0.43 (the highest luminous transmittance of category 2, EN ISO 12312-1) = 0.215, rounded down (fewer bare eyes called sunglasses): 0.21'),
  sunglassesMaxSpreadL: L(7.5, 'L* (p75 − p25 in the lens area)', 'sheet: lenses not tinted. Sunglasses are found without their frame when the lens area is also flat: a filter of transmittance T scales the lightness spread behind it by about T^(1/3) (L* ∝ Y^(1/3)); the bare lens areas of the derive split spread p5 13.3 L* (the eye\'s white, the iris, the lids), behind a category-3 lens (T ≤ 18 %, the usual sunglasses) ≤ 13.3 × 0.56 = 7.5'),
  headwearMaxDeltaE: L(25, 'ΔE*ab between the crown and the hair at the temples', 'sheet: bare head. What covers the crown (between the top of the forehead landmarks and the top of the person silhouette) must look like the hair beside the face. One person\'s hair varies by ΔE 10-15 between crown and temples beyond lighting (greying, sun-bleached ends); another material differs by more'),
  headwearSkinMaxDeltaE: L(12, 'ΔE*ab between the crown and the forehead skin', 'sheet: bare head. A bald or shaved crown is the same skin as the forehead: within one face skin varies by ΔE 5-10 between regions (sun, blood flow); a fabric of another colour differs by more'),
  headwearLightStops: L(1, 'stops', 'sheet: bare head. The crown faces the light from above and in front, the temples face sideways: the hair there may receive up to half or twice the light (the 2:1 ratio of a key light at 45°), so the lightness range of the temple hair is widened by that much before comparing'),
  headwearMinCrownPx: L(0.04, 'of the head height', 'sheet: bare head. A crown taller than 4 % of the head height (≈ 1.4 mm on the photo) is judged; a shorter one is skin or cropped hair with nothing on it'),
  hairHueMinDeg: L(25, '° hue angle h*ab', 'sheet: bare head. Hair owes its colour to two melanins (eumelanin: black-brown, pheomelanin: red-yellow): coloured natural hair lies between red-brown (h ≈ 30°) and blond (h ≈ 90°), as skin does; a crown of another hue (blue, green, purple, crimson) is not hair'),
  hairHueMaxDeg: L(100, '° hue angle h*ab', 'sheet: bare head. Upper end of the natural hair and skin hues (blond, h ≈ 90°)'),
  headwearAccessoryMaxFraction: L(0.1, 'of the crown pixels', 'sheet: bare head ("pas de serre-tête"). A headband, clip or ribbon covers a minority of the crown: pixels of a colour no hair or skin has (outside the melanin hues, above the neutral greys) on more than a tenth of the crown. A band of 1 cm across a crown of 8-10 cm is 10-12 %; stray pixels of the backdrop blended into the hair\'s edge stay under it'),
  skinHueDeg: L(55, '° hue angle h*ab', 'sheet: bare head. The hue of skin under daylight (D65): melanin and haemoglobin put every skin tone at h ≈ 45-65° (its middle, 55°); the crown\'s hue is read relative to the forehead\'s and put back here, so a colour cast of the light (a coloured backdrop\'s bounce, a warm lamp) moves neither'),
  hairNeutralMaxChroma: L(12, 'C*ab', 'sheet: bare head. Black, grey and white hair is near neutral (C* < 12): its hue means nothing'),
  hairOverEyesMaxReach: L(0, 'iris diameters below the upper lid margin (median column over the iris, worse eye)', 'sheet: "Les cheveux ne doivent pas recouvrir le visage. Une frange peut être acceptée si elle ne recouvre pas les yeux." The eye starts at the upper lid margin (the lashes): hair that comes down from the crown past it lies over the eye. No spread is added: the value is where the hair ends, not a reading scattered around the limit. On the derive split\'s compliant portraits the hair ends at least 2.47 iris diameters above the lid (p95 −3.9; 17 of 70 not judged: bald, cropped, or hair the colour of the skin), on the report split at −0.62 (London 143, a fringe down to the lids beside the iris) and −1.41 (London 003, a fringe down to the brows), bench/vision-real.ts: the lid landmark\'s ±1 mm (0.09 diameters) never brings a compliant fringe to it'),
  hairFaceMinSeparation: L(12, 'ΔE*ab with lightness counted half, between the crown hair and the cheek skin', 'sheet: hair not over the eyes. Hair is told from skin by colour; within one face skin varies by up to ΔE 12 between regions (as headwearSkinMaxDeltaE), so hair nearer the skin than that (fair blond hair on fair skin, grey hair) cannot be told from it, and the check passes rather than guess (docs/vision.md, "Known limits")'),
  faceMinScore: L(0.5, 'detector confidence', 'a face counts when the detector is at least even-odds sure'),
  secondFaceMinSize: L(0.4, 'of the main face height', 'sheet: one person. Another face at least 40 % the size of the sitter\'s is another person in the photo, not a printed logo'),
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;
