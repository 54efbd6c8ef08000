// What the customer is told when a check fails: the one table of hint texts, in the five
// languages of the customer screen. The key is stable (the screen's message is `hint.<key>`).
// A hint is declared once here, with all five texts (the type demands them); checks and
// guidance can only emit hints of this table (their `hint` is typed `Hint`), and
// test/ui/texts.test.ts enumerates HINT_KEYS so no key reaches a customer untranslated.

export const hintLanguages = ['fr', 'en', 'es', 'de', 'ar'] as const;
export type HintLanguage = (typeof hintLanguages)[number];
export type HintTexts = Readonly<Record<HintLanguage, string>>;

const h = <K extends string>(key: K, texts: HintTexts): { readonly key: K } & HintTexts => ({ key, ...texts });

export const HINTS = {
  noFace: h('face.none', {
    fr: 'Placez votre visage face à l’objectif.',
    en: 'Place your face in front of the lens.',
    es: 'Coloque la cara frente al objetivo.',
    de: 'Bringen Sie Ihr Gesicht vor die Kamera.',
    ar: 'ضع وجهك أمام العدسة.',
  }),
  severalFaces: h('face.several', {
    fr: 'Une seule personne doit être sur la photo.',
    en: 'Only one person may be in the photo.',
    es: 'Solo una persona puede aparecer en la foto.',
    de: 'Nur eine Person darf auf dem Foto sein.',
    ar: 'يجب أن يظهر شخص واحد فقط في الصورة.',
  }),
  closer: h('face.closer', {
    fr: 'Rapprochez-vous de l’objectif.',
    en: 'Move closer to the lens.',
    es: 'Acérquese al objetivo.',
    de: 'Kommen Sie näher an die Kamera.',
    ar: 'اقترب من العدسة.',
  }),
  back: h('face.back', {
    fr: 'Reculez un peu.',
    en: 'Move back a little.',
    es: 'Retroceda un poco.',
    de: 'Gehen Sie etwas zurück.',
    ar: 'ابتعد قليلاً.',
  }),
  moveLeft: h('face.left', {
    fr: 'Décalez-vous un peu vers votre gauche.',
    en: 'Move a little to your left.',
    es: 'Desplácese un poco hacia su izquierda.',
    de: 'Rücken Sie etwas nach links.',
    ar: 'تحرّك قليلاً نحو يسارك.',
  }),
  moveRight: h('face.right', {
    fr: 'Décalez-vous un peu vers votre droite.',
    en: 'Move a little to your right.',
    es: 'Desplácese un poco hacia su derecha.',
    de: 'Rücken Sie etwas nach rechts.',
    ar: 'تحرّك قليلاً نحو يمينك.',
  }),
  seatUp: h('face.up', {
    fr: 'Remontez le siège (votre visage est trop bas).',
    en: 'Raise the seat (your face is too low).',
    es: 'Suba el asiento (su cara está demasiado baja).',
    de: 'Stellen Sie den Sitz höher (Ihr Gesicht ist zu tief).',
    ar: 'ارفع المقعد (وجهك منخفض جداً).',
  }),
  seatDown: h('face.down', {
    fr: 'Baissez le siège (votre visage est trop haut).',
    en: 'Lower the seat (your face is too high).',
    es: 'Baje el asiento (su cara está demasiado alta).',
    de: 'Stellen Sie den Sitz tiefer (Ihr Gesicht ist zu hoch).',
    ar: 'اخفض المقعد (وجهك مرتفع جداً).',
  }),
  turnLeft: h('pose.turn-left', {
    fr: 'Tournez légèrement la tête vers votre gauche, face à l’objectif.',
    en: 'Turn your head slightly to your left, to face the lens.',
    es: 'Gire ligeramente la cabeza hacia su izquierda, de frente al objetivo.',
    de: 'Drehen Sie den Kopf leicht nach links, zur Kamera hin.',
    ar: 'أدر رأسك قليلاً نحو يسارك لتواجه العدسة.',
  }),
  turnRight: h('pose.turn-right', {
    fr: 'Tournez légèrement la tête vers votre droite, face à l’objectif.',
    en: 'Turn your head slightly to your right, to face the lens.',
    es: 'Gire ligeramente la cabeza hacia su derecha, de frente al objetivo.',
    de: 'Drehen Sie den Kopf leicht nach rechts, zur Kamera hin.',
    ar: 'أدر رأسك قليلاً نحو يمينك لتواجه العدسة.',
  }),
  chinUp: h('pose.chin-up', {
    fr: 'Relevez légèrement le menton.',
    en: 'Raise your chin slightly.',
    es: 'Levante ligeramente la barbilla.',
    de: 'Heben Sie das Kinn leicht an.',
    ar: 'ارفع ذقنك قليلاً.',
  }),
  chinDown: h('pose.chin-down', {
    fr: 'Baissez légèrement le menton.',
    en: 'Lower your chin slightly.',
    es: 'Baje ligeramente la barbilla.',
    de: 'Senken Sie das Kinn leicht.',
    ar: 'اخفض ذقنك قليلاً.',
  }),
  straighten: h('pose.straight', {
    fr: 'Tenez la tête droite, sans la pencher.',
    en: 'Hold your head straight, without tilting it.',
    es: 'Mantenga la cabeza recta, sin inclinarla.',
    de: 'Halten Sie den Kopf gerade, ohne ihn zu neigen.',
    ar: 'أبقِ رأسك مستقيماً دون إمالته.',
  }),
  lookAtLens: h('gaze.lens', {
    fr: 'Regardez l’objectif.',
    en: 'Look at the lens.',
    es: 'Mire al objetivo.',
    de: 'Schauen Sie in die Kamera.',
    ar: 'انظر إلى العدسة.',
  }),
  lookUpAtLens: h('gaze.lens-up', {
    fr: 'Levez les yeux vers l’objectif.',
    en: 'Raise your eyes to the lens.',
    es: 'Levante la mirada hacia el objetivo.',
    de: 'Heben Sie den Blick zur Kamera.',
    ar: 'ارفع عينيك نحو العدسة.',
  }),
  openEyes: h('eyes.open', {
    fr: 'Gardez les yeux bien ouverts.',
    en: 'Keep your eyes wide open.',
    es: 'Mantenga los ojos bien abiertos.',
    de: 'Halten Sie die Augen weit geöffnet.',
    ar: 'أبقِ عينيك مفتوحتين جيداً.',
  }),
  closeMouth: h('mouth.close', {
    fr: 'Fermez la bouche.',
    en: 'Close your mouth.',
    es: 'Cierre la boca.',
    de: 'Schließen Sie den Mund.',
    ar: 'أغلق فمك.',
  }),
  neutral: h('expression.neutral', {
    fr: 'Gardez une expression neutre, sans sourire.',
    en: 'Keep a neutral expression, without smiling.',
    es: 'Mantenga una expresión neutra, sin sonreír.',
    de: 'Behalten Sie einen neutralen Gesichtsausdruck, ohne zu lächeln.',
    ar: 'حافظ على تعبير محايد دون ابتسام.',
  }),
  tooBright: h('exposure.bright', {
    fr: 'La photo est trop claire : un technicien doit régler l’éclairage.',
    en: 'The photo is too bright: the lighting needs adjusting.',
    es: 'La foto es demasiado clara: hay que ajustar la iluminación.',
    de: 'Das Foto ist zu hell: die Beleuchtung muss eingestellt werden.',
    ar: 'الصورة فاتحة جداً: يجب ضبط الإضاءة.',
  }),
  tooDark: h('exposure.dark', {
    fr: 'La photo est trop sombre : un technicien doit régler l’éclairage.',
    en: 'The photo is too dark: the lighting needs adjusting.',
    es: 'La foto es demasiado oscura: hay que ajustar la iluminación.',
    de: 'Das Foto ist zu dunkel: die Beleuchtung muss eingestellt werden.',
    ar: 'الصورة داكنة جداً: يجب ضبط الإضاءة.',
  }),
  contrast: h('contrast.low', {
    fr: 'Le contraste est insuffisant : nettoyez l’objectif ou réglez l’éclairage.',
    en: 'Contrast too low: clean the lens or adjust the lighting.',
    es: 'Contraste insuficiente: limpie el objetivo o ajuste la iluminación.',
    de: 'Zu wenig Kontrast: Objektiv reinigen oder Beleuchtung einstellen.',
    ar: 'التباين غير كافٍ: نظّف العدسة أو اضبط الإضاءة.',
  }),
  holdStill: h('sharpness.still', {
    fr: 'Ne bougez pas pendant la prise de vue.',
    en: 'Hold still while the photo is taken.',
    es: 'No se mueva mientras se toma la foto.',
    de: 'Halten Sie während der Aufnahme still.',
    ar: 'لا تتحرك أثناء التقاط الصورة.',
  }),
  colour: h('colour.gray', {
    fr: 'La photo doit être en couleurs.',
    en: 'The photo must be in colour.',
    es: 'La foto debe ser en color.',
    de: 'Das Foto muss farbig sein.',
    ar: 'يجب أن تكون الصورة ملوّنة.',
  }),
  backgroundPlain: h('background.plain', {
    fr: 'Le fond doit être uni : rien ne doit apparaître derrière vous.',
    en: 'The background must be plain: nothing may show behind you.',
    es: 'El fondo debe ser liso: no debe verse nada detrás de usted.',
    de: 'Der Hintergrund muss einfarbig sein: hinter Ihnen darf nichts zu sehen sein.',
    ar: 'يجب أن تكون الخلفية موحّدة: لا يظهر شيء خلفك.',
  }),
  backgroundLight: h('background.light', {
    fr: 'Le fond doit être clair (gris ou bleu clair).',
    en: 'The background must be light (light grey or light blue).',
    es: 'El fondo debe ser claro (gris o azul claro).',
    de: 'Der Hintergrund muss hell sein (hellgrau oder hellblau).',
    ar: 'يجب أن تكون الخلفية فاتحة (رمادي أو أزرق فاتح).',
  }),
  backgroundWhite: h('background.white', {
    fr: 'Le fond blanc est interdit : utilisez un fond gris ou bleu clair.',
    en: 'A white background is not allowed: use light grey or light blue.',
    es: 'El fondo blanco no está permitido: use gris o azul claro.',
    de: 'Ein weißer Hintergrund ist nicht erlaubt: hellgrau oder hellblau verwenden.',
    ar: 'الخلفية البيضاء ممنوعة: استعمل الرمادي أو الأزرق الفاتح.',
  }),
  faceShadow: h('shadow.face', {
    fr: 'Une ombre couvre une partie du visage : placez-vous au centre, face à la lumière.',
    en: 'A shadow falls on your face: sit in the middle, facing the light.',
    es: 'Una sombra cubre parte de su cara: colóquese en el centro, frente a la luz.',
    de: 'Ein Schatten liegt auf Ihrem Gesicht: setzen Sie sich mittig, zum Licht hin.',
    ar: 'ظلّ يغطي جزءاً من وجهك: اجلس في الوسط مواجهاً للضوء.',
  }),
  backgroundShadow: h('shadow.background', {
    fr: 'Votre ombre apparaît sur le fond : rapprochez-vous de l’objectif, loin du fond.',
    en: 'Your shadow shows on the background: move away from the backdrop.',
    es: 'Su sombra aparece en el fondo: aléjese del fondo.',
    de: 'Ihr Schatten ist auf dem Hintergrund: rücken Sie vom Hintergrund weg.',
    ar: 'ظلّك يظهر على الخلفية: ابتعد عن الخلفية.',
  }),
  tintedGlasses: h('glasses.tint', {
    fr: 'Retirez vos lunettes (verres teintés ou colorés interdits).',
    en: 'Remove your glasses (tinted or coloured lenses are not allowed).',
    es: 'Quítese las gafas (no se permiten cristales tintados o de color).',
    de: 'Nehmen Sie die Brille ab (getönte oder farbige Gläser sind nicht erlaubt).',
    ar: 'انزع نظارتك (العدسات الملوّنة أو المعتمة ممنوعة).',
  }),
  glare: h('glasses.glare', {
    fr: 'Reflet sur vos lunettes : inclinez-les légèrement ou retirez-les.',
    en: 'Reflection on your glasses: tilt them slightly or take them off.',
    es: 'Reflejo en sus gafas: inclínelas ligeramente o quíteselas.',
    de: 'Spiegelung auf Ihrer Brille: neigen Sie sie leicht oder nehmen Sie sie ab.',
    ar: 'انعكاس على نظارتك: أمِلها قليلاً أو انزعها.',
  }),
  // The sheet (shared/seeds/003) says "La tête doit être nue (pas de chapeau, foulard ou
  // serre-tête par exemple)" and lists no exception, religious or other: the hint says so plainly.
  headwear: h('headwear', {
    fr: 'La tête doit être nue : retirez chapeau, casquette, bonnet, foulard ou serre-tête.',
    en: 'Your head must be bare: remove any hat, cap, beanie, scarf or headband.',
    es: 'La cabeza debe estar descubierta: quítese sombrero, gorra, gorro, pañuelo o diadema.',
    de: 'Der Kopf muss unbedeckt sein: Hut, Kappe, Mütze, Kopftuch oder Haarreif abnehmen.',
    ar: 'يجب أن يكون الرأس مكشوفاً: انزع القبعة أو الطاقية أو الوشاح أو عصابة الرأس.',
  }),
  // The sheet: "Les cheveux ne doivent pas recouvrir le visage. Une frange peut être acceptée si
  // elle ne recouvre pas les yeux."
  hairFace: h('hair.face', {
    fr: 'Dégagez vos yeux : les cheveux ne doivent pas les recouvrir (une frange au-dessus des yeux est acceptée).',
    en: 'Clear your eyes: hair must not cover them (a fringe above the eyes is fine).',
    es: 'Despeje los ojos: el cabello no debe cubrirlos (se acepta un flequillo por encima de los ojos).',
    de: 'Augen freilegen: Haare dürfen sie nicht bedecken (ein Pony oberhalb der Augen ist erlaubt).',
    ar: 'أبعد شعرك عن عينيك: يجب ألا يغطيهما الشعر (الغرة فوق العينين مقبولة).',
  }),
} as const;

/** Every preview check passes: the shutter is about to fire. */
export const HOLD_STILL = h('guidance.hold', {
  fr: 'Parfait, ne bougez plus…',
  en: 'Perfect, hold still…',
  es: 'Perfecto, no se mueva…',
  de: 'Perfekt, nicht mehr bewegen…',
  ar: 'ممتاز، لا تتحرك…',
});

/** A hint vision or guidance can emit: one of the table's, nothing else. */
export type Hint = (typeof HINTS)[keyof typeof HINTS] | typeof HOLD_STILL;
export type HintKey = Hint['key'];

/** Every key the code can emit, derived from the declarations above. */
export const HINT_KEYS: readonly HintKey[] = [...Object.values(HINTS), HOLD_STILL].map((hint) => hint.key);

/** The customer-screen message key of a hint key. */
export const hintMessageKey = (key: HintKey): `hint.${HintKey}` => `hint.${key}`;
