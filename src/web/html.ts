/**
 * Typed HTML templates as tagged template literals. Every interpolated value is escaped unless it
 * is itself `Html` (the result of another `html` template or of `raw()`), so markup from users,
 * QSF files or CSV imports can only ever become text.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const SPECIAL = /[&<>"'`]/;
const SPECIALS = /[&<>"'`]/g;

export function escapeHtml(value: string): string {
  // Most values (ids, names, numbers) have nothing to escape; testing first is several times faster.
  return SPECIAL.test(value) ? value.replace(SPECIALS, (ch) => ESCAPES[ch] as string) : value;
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < parts.length; i++) out += render(parts[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup that is already safe (built by us, or sanitised). Never pass user input here. */
export function raw(markup: string): Html {
  return new Html(markup);
}
