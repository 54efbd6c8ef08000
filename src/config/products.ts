// The products a booth sells: the catalogue of the config (`products`), a live setting. Each
// product says what the customer gets (an e-photo: code + signature + board; or prints only),
// how many 10x15 sheets are printed, its price, its name and one plain sentence on which
// procedures accept it, in each screen language. A session journals the product it sold
// (id and what it delivers), so a catalogue changed during a session does not change it.
import { z } from 'zod';

/** The screen's languages (src/ui/screen.ts has the same list; the config cannot import the screen). */
export const productLanguages = ['fr', 'en', 'es', 'de', 'ar'] as const;

/** What a product delivers: an e-photo (code + signature + board) or prints only. */
export const deliveries = ['ephoto', 'prints'] as const;
export type Delivery = (typeof deliveries)[number];

const sentence = (max: number) => z.string().trim().min(1).max(max);
const inEachLanguage = (max: number, what: string) =>
  z.object({ fr: sentence(max), en: sentence(max), es: sentence(max), de: sentence(max), ar: sentence(max) }).strict().describe(`${what}, in each screen language (fr, en, es, de, ar)`);

export const productSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", at most 32')
      .describe('Product identifier, in every record of a sale'),
    delivers: z.enum(deliveries).describe('"ephoto": photo validated to the ANTS rules, signature, e-photo code and board; "prints": printed photos only (no signature, no code)'),
    sheets: z.number().int().min(1).max(4).default(1).describe('10x15 cm sheets printed, each with four 35x45 photos'),
    priceCents: z.number().int().min(10).max(100000).optional().describe('Price in cents (absent: payment.priceCents)'),
    name: inEachLanguage(60, 'Name shown on the attract screen'),
    accepts: inEachLanguage(240, 'One plain sentence on which procedures accept it'),
  })
  .strict();
export type ProductEntry = z.infer<typeof productSchema>;

export const DEFAULT_PRODUCTS: ProductEntry[] = [
  {
    id: 'ephoto',
    delivers: 'ephoto',
    sheets: 1,
    name: {
      fr: 'E-photo + 4 photos',
      en: 'E-photo + 4 photos',
      es: 'E-foto + 4 fotos',
      de: 'E-Foto + 4 Fotos',
      ar: 'صورة إلكترونية + 4 صور',
    },
    accepts: {
      fr: "Pour les démarches en ligne (ANTS, ANEF) : carte d'identité, passeport, permis de conduire, titre de séjour.",
      en: 'For online applications (ANTS, ANEF): identity card, passport, driving licence, residence permit.',
      es: 'Para los trámites en línea (ANTS, ANEF): DNI, pasaporte, permiso de conducir, permiso de residencia.',
      de: 'Für Online-Anträge (ANTS, ANEF): Personalausweis, Reisepass, Führerschein, Aufenthaltstitel.',
      ar: 'للإجراءات عبر الإنترنت (ANTS، ANEF): بطاقة الهوية، جواز السفر، رخصة السياقة، بطاقة الإقامة.',
    },
  },
  {
    id: 'photo',
    delivers: 'prints',
    sheets: 1,
    priceCents: 600,
    name: {
      fr: "4 photos d'identité",
      en: '4 ID photos',
      es: '4 fotos de carné',
      de: '4 Passfotos',
      ar: '4 صور هوية',
    },
    accepts: {
      fr: 'Pour les dossiers papier (transports, école, travail) ; sans code, donc pas pour les démarches en ligne ANTS ou ANEF.',
      en: 'For paper forms (transport, school, work); no code, so not for ANTS or ANEF online applications.',
      es: 'Para trámites en papel (transporte, escuela, trabajo); sin código, no sirve para los trámites en línea ANTS o ANEF.',
      de: 'Für Papieranträge (Verkehr, Schule, Arbeit); ohne Code, also nicht für Online-Anträge bei ANTS oder ANEF.',
      ar: 'للملفات الورقية (النقل، المدرسة، العمل)؛ بدون رمز، فلا تصلح للإجراءات عبر الإنترنت ANTS أو ANEF.',
    },
  },
];

export const catalogueSchema = z
  .array(productSchema)
  .min(1, 'at least one product')
  .max(6, 'at most 6 products (the attract screen shows them all)')
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, p] of list.entries()) {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `product id "${p.id}" appears twice` });
      seen.add(p.id);
    }
  })
  .default(DEFAULT_PRODUCTS)
  .describe('Products sold (JSON list of {id, delivers, sheets, priceCents?, name, accepts}); live: a change applies to the next session');

/** A product as a session sells it: what the screen offers and the journal keeps. */
export interface Product {
  id: string;
  delivers: Delivery;
  sheets: number;
  priceCents: number;
  /** Its position in the catalogue from 1: the item number a card reader's VEND REQUEST names. */
  item: number;
}

/** The catalogue with every price resolved (`defaultPriceCents`: payment.priceCents). */
export function productsOf(config: { products: ProductEntry[]; payment: { priceCents: number } }): (Product & Pick<ProductEntry, 'name' | 'accepts'>)[] {
  return config.products.map((p, i) => ({
    id: p.id,
    delivers: p.delivers,
    sheets: p.sheets,
    priceCents: p.priceCents ?? config.payment.priceCents,
    item: i + 1,
    name: p.name,
    accepts: p.accepts,
  }));
}

/** The catalogue with `id`'s price set to `cents` (throws on an unknown id): what set-price applies. */
export function withPrice(products: readonly ProductEntry[], id: string, cents: number): ProductEntry[] {
  if (!products.some((p) => p.id === id)) throw new Error(`no product "${id}" (products: ${products.map((p) => p.id).join(', ')})`);
  return products.map((p) => (p.id === id ? { ...p, priceCents: cents } : p));
}
