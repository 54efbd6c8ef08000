// The customer's status page (FR/EN): what their code is worth now and what to do, in the
// words of the operator's help page (up to 72 h before a code works, single use, 6 months,
// the O/0, I/1, S/5 look-alikes). It shows the code only when the customer typed it
// (normalised) or as the suggested correction: no booth, no date, no photo, nothing personal.
import type { CodeStatusName } from './schemas.ts';

export type Lang = 'fr' | 'en';

const TEXT: Record<Lang, { title: string; lead: Record<CodeStatusName, string>; suggestion: string; other: string; help: string }> = {
  fr: {
    title: 'Votre numéro ePhoto',
    lead: {
      active: 'Ce numéro ePhoto est actif : vous pouvez le saisir dès maintenant sur le site de l’ANTS. Il ne peut être utilisé qu’une seule fois.',
      pending: 'Ce numéro ePhoto est bien enregistré, mais il n’est pas encore transmis. Réessayez dans quelques heures (jusqu’à 72 h).',
      used: 'Ce numéro ePhoto a déjà été utilisé. Il ne peut servir qu’une seule fois ; vos photos imprimées restent utilisables.',
      expired: 'Ce numéro ePhoto a expiré : il est valable 6 mois après l’achat. Vos photos imprimées restent utilisables.',
      unknown:
        'Nous ne connaissons pas (encore) ce numéro ePhoto. Si vous venez de l’acheter, la cabine peut mettre jusqu’à 72 h à le transmettre. Vérifiez aussi qu’il commence par le préfixe imprimé sur votre planche.',
      invalid: 'Ce numéro n’est pas un numéro ePhoto valide : il compte 22 caractères (chiffres et lettres majuscules). Attention aux confusions 0/O, 1/I, 5/S.',
    },
    suggestion: 'Vouliez-vous dire :',
    other: 'English',
    help: 'Si le problème persiste 72 h après l’achat, contactez le service client avec votre numéro : nous vérifions et remboursons si le problème est avéré.',
  },
  en: {
    title: 'Your e-photo code',
    lead: {
      active: 'This e-photo code is active: you can type it on the ANTS website now. It can be used once only.',
      pending: 'This e-photo code is recorded but not yet transmitted. Try again in a few hours (up to 72 h).',
      used: 'This e-photo code has already been used. It works once only; your printed photos remain valid.',
      expired: 'This e-photo code has expired: it is valid for 6 months after purchase. Your printed photos remain valid.',
      unknown:
        'We do not know this e-photo code (yet). If you bought it just now, the booth may take up to 72 h to transmit it. Also check that it starts with the prefix printed on your sheet.',
      invalid: 'This is not a valid e-photo code: it has 22 characters (digits and capital letters). Beware of 0/O, 1/I and 5/S.',
    },
    suggestion: 'Did you mean:',
    other: 'Français',
    help: 'If the problem remains 72 h after purchase, contact customer service with your code: we check and refund when the problem is confirmed.',
  },
};

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const grouped = (code: string): string => code.replace(/(.{4})(?=.)/g, '$1 ');

/** The language from `?lang=` or Accept-Language (the first of fr/en it names), French otherwise. */
export function pickLang(query: Lang | undefined, acceptLanguage: string | undefined): Lang {
  if (query) return query;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'fr' || tag === 'en') return tag;
  }
  return 'fr';
}

export function statusPage(lang: Lang, status: CodeStatusName, code: string | undefined, suggestion: string | undefined): string {
  const t = TEXT[lang];
  const other: Lang = lang === 'fr' ? 'en' : 'fr';
  const shown = code && status !== 'invalid' ? `<p class="code">${escapeHtml(grouped(code))}</p>` : '';
  const fix = suggestion
    ? `<p>${t.suggestion} <a class="code" href="./${encodeURIComponent(suggestion)}?lang=${lang}">${escapeHtml(grouped(suggestion))}</a></p>`
    : '';
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${t.title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.code{font-family:ui-monospace,monospace;font-size:1.2rem;letter-spacing:.05em}.status{font-weight:bold}</style></head>
<body><h1>${t.title}</h1>${shown}
<p class="status" data-status="${status}">${t.lead[status]}</p>${fix}
<p>${t.help}</p>
<p><a href="?lang=${other}">${t.other}</a></p>
</body></html>
`;
}
