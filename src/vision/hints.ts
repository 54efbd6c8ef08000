// What the customer is told when a check fails, in French and English. The key is stable so
// the customer screen can carry its own translations (es, de, ar) keyed the same way.

export interface Hint {
  key: string;
  fr: string;
  en: string;
}

const h = (key: string, fr: string, en: string): Hint => ({ key, fr, en });

export const HINTS = {
  noFace: h('face.none', 'Placez votre visage face à l’objectif.', 'Place your face in front of the lens.'),
  severalFaces: h('face.several', 'Une seule personne doit être sur la photo.', 'Only one person may be in the photo.'),
  closer: h('face.closer', 'Rapprochez-vous de l’objectif.', 'Move closer to the lens.'),
  back: h('face.back', 'Reculez un peu.', 'Move back a little.'),
  moveLeft: h('face.left', 'Décalez-vous un peu vers votre gauche.', 'Move a little to your left.'),
  moveRight: h('face.right', 'Décalez-vous un peu vers votre droite.', 'Move a little to your right.'),
  seatUp: h('face.up', 'Remontez le siège (votre visage est trop bas).', 'Raise the seat (your face is too low).'),
  seatDown: h('face.down', 'Baissez le siège (votre visage est trop haut).', 'Lower the seat (your face is too high).'),
  turnLeft: h('pose.turn-left', 'Tournez légèrement la tête vers votre gauche, face à l’objectif.', 'Turn your head slightly to your left, to face the lens.'),
  turnRight: h('pose.turn-right', 'Tournez légèrement la tête vers votre droite, face à l’objectif.', 'Turn your head slightly to your right, to face the lens.'),
  chinUp: h('pose.chin-up', 'Relevez légèrement le menton.', 'Raise your chin slightly.'),
  chinDown: h('pose.chin-down', 'Baissez légèrement le menton.', 'Lower your chin slightly.'),
  straighten: h('pose.straight', 'Tenez la tête droite, sans la pencher.', 'Hold your head straight, without tilting it.'),
  lookAtLens: h('gaze.lens', 'Regardez l’objectif.', 'Look at the lens.'),
  lookUpAtLens: h('gaze.lens-up', 'Levez les yeux vers l’objectif.', 'Raise your eyes to the lens.'),
  openEyes: h('eyes.open', 'Gardez les yeux bien ouverts.', 'Keep your eyes wide open.'),
  closeMouth: h('mouth.close', 'Fermez la bouche.', 'Close your mouth.'),
  neutral: h('expression.neutral', 'Gardez une expression neutre, sans sourire.', 'Keep a neutral expression, without smiling.'),
  tooBright: h('exposure.bright', 'La photo est trop claire : un technicien doit régler l’éclairage.', 'The photo is too bright: the lighting needs adjusting.'),
  tooDark: h('exposure.dark', 'La photo est trop sombre : un technicien doit régler l’éclairage.', 'The photo is too dark: the lighting needs adjusting.'),
  contrast: h('contrast.low', 'Le contraste est insuffisant : nettoyez l’objectif ou réglez l’éclairage.', 'Contrast too low: clean the lens or adjust the lighting.'),
  holdStill: h('sharpness.still', 'Ne bougez pas pendant la prise de vue.', 'Hold still while the photo is taken.'),
  colour: h('colour.gray', 'La photo doit être en couleurs.', 'The photo must be in colour.'),
  backgroundPlain: h('background.plain', 'Le fond doit être uni : rien ne doit apparaître derrière vous.', 'The background must be plain: nothing may show behind you.'),
  backgroundLight: h('background.light', 'Le fond doit être clair (gris ou bleu clair).', 'The background must be light (light grey or light blue).'),
  backgroundWhite: h('background.white', 'Le fond blanc est interdit : utilisez un fond gris ou bleu clair.', 'A white background is not allowed: use light grey or light blue.'),
  faceShadow: h('shadow.face', 'Une ombre couvre une partie du visage : placez-vous au centre, face à la lumière.', 'A shadow falls on your face: sit in the middle, facing the light.'),
  backgroundShadow: h('shadow.background', 'Votre ombre apparaît sur le fond : rapprochez-vous de l’objectif, loin du fond.', 'Your shadow shows on the background: move away from the backdrop.'),
  tintedGlasses: h('glasses.tint', 'Retirez vos lunettes (verres teintés ou colorés interdits).', 'Remove your glasses (tinted or coloured lenses are not allowed).'),
  glare: h('glasses.glare', 'Reflet sur vos lunettes : inclinez-les légèrement ou retirez-les.', 'Reflection on your glasses: tilt them slightly or take them off.'),
  // The sheet (shared/seeds/003) says "La tête doit être nue (pas de chapeau, foulard ou
  // serre-tête par exemple)" and lists no exception, religious or other: the hint says so plainly.
  headwear: h('headwear', 'La tête doit être nue : retirez chapeau, casquette, bonnet, foulard ou serre-tête.', 'Your head must be bare: remove any hat, cap, beanie, scarf or headband.'),
} as const satisfies Record<string, Hint>;

export const HOLD_STILL: Hint = h('guidance.hold', 'Ne bougez plus…', 'Hold still…');
