/**
 * Piped text: the `${scheme://path?options}` tokens that messages (and later survey texts) carry,
 * e.g. `${l://SurveyURL}`, `${l://SurveyLink?d=Take the survey}`, `${m://FirstName}`,
 * `${e://Field/Department}`. Pure: finding the tokens and filling them from a context object.
 *
 * Filling never trusts the context: in HTML mode every value is escaped, and a link is written as an
 * anchor only when its URL is http(s). A token with no value (unknown scheme, unknown field, a field
 * the context lacks) becomes the empty string, as Qualtrics left unknown piped text blank.
 */

export interface PipedToken {
  /** The whole token as written, `${…}` included. */
  raw: string;
  /** Offset of `$` in the text. */
  index: number;
  /** `l`, `m`, `e`, `q`…; empty when the token has no `scheme://`. */
  scheme: string;
  /** What follows `scheme://`, without the options: `SurveyURL`, `Field/Department`. */
  path: string;
  /** The `?d=…` style options after the path. */
  options: Record<string, string>;
}

export interface PipingRecipient {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  externalDataReference?: string | null;
}

export interface PipingContext {
  /** `${l://SurveyURL}`, `${l://SurveyLink}`: the recipient's survey link. */
  surveyUrl?: string;
  /** `${l://OptOutURL}`, `${l://OptOutLink}`: the recipient's unsubscribe link. */
  optOutUrl?: string;
  /** `${m://…}`: the recipient's own fields. */
  recipient?: PipingRecipient;
  /** `${e://Field/Name}`. */
  embeddedData?: Readonly<Record<string, string>>;
  /** Any other token, keyed by what is inside the braces (`q://QID1/ChoiceGroup/SelectedChoices`). */
  extra?: Readonly<Record<string, string>>;
}

export type PipingMode = 'html' | 'text';

// A token ends at the first `}`; a `{` inside means the text was not a token (`${a{b}` stays as it is).
const TOKEN = /\$\{([^{}]*)\}/g;
const SCHEME = /^([A-Za-z][A-Za-z0-9]*):\/\/(.*)$/s;

const DEFAULT_LINK_TEXT = { survey: 'Take the survey', optOut: 'Click here to unsubscribe' } as const;

function decodeOption(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value; // a lone % is ordinary text (`d=100% sure`)
  }
}

function parseOptions(query: string): Record<string, string> {
  const options: Record<string, string> = {};
  if (query === '') return options;
  // `&` starts a new option only before `name=`: the `&amp;` an HTML editor writes stays in the value.
  for (const pair of query.split(/&(?=[A-Za-z_]\w*=)/)) {
    const at = pair.indexOf('=');
    const key = at === -1 ? pair : pair.slice(0, at);
    if (key !== '') options[key] = at === -1 ? '' : decodeOption(pair.slice(at + 1));
  }
  return options;
}

/** Splits the inside of `${…}` into scheme, path and options. */
export function parseToken(inner: string): Omit<PipedToken, 'raw' | 'index'> {
  const m = SCHEME.exec(inner.trim());
  if (!m) return { scheme: '', path: inner.trim(), options: {} };
  const rest = m[2] as string;
  const q = rest.indexOf('?');
  return {
    scheme: (m[1] as string).toLowerCase(),
    path: q === -1 ? rest : rest.slice(0, q),
    options: q === -1 ? {} : parseOptions(rest.slice(q + 1)),
  };
}

/** Every `${…}` token of the text, in order. */
export function findPipedText(text: string): PipedToken[] {
  const tokens: PipedToken[] = [];
  for (const m of text.matchAll(TOKEN)) {
    tokens.push({ raw: m[0], index: m.index, ...parseToken(m[1] as string) });
  }
  return tokens;
}

export function escapeHtmlText(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** The `d=` text was written inside an HTML body: the author's own entities are read back first. */
function unescapeBasicEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" })[e] as string);
}

const isWebUrl = (url: string): boolean => /^https?:\/\/[^\s"'<>`]+$/i.test(url);

function link(url: string | undefined, label: string | undefined, fallback: string, mode: PipingMode): string {
  if (!url) return '';
  const text = label === undefined || label === '' ? undefined : mode === 'html' ? unescapeBasicEntities(label) : label;
  if (mode === 'text') return text === undefined ? url : `${text}: ${url}`;
  if (!isWebUrl(url)) return escapeHtmlText(text ?? url);
  return `<a href="${escapeHtmlText(url)}">${escapeHtmlText(text ?? fallback)}</a>`;
}

const RECIPIENT_FIELDS: Record<string, keyof PipingRecipient> = {
  firstname: 'firstName',
  lastname: 'lastName',
  email: 'email',
  externaldatareference: 'externalDataReference',
  externaldataref: 'externalDataReference',
};

/** The plain value of a token that is not a link, or undefined when the context has none. */
function plainValue(token: Omit<PipedToken, 'raw' | 'index'>, inner: string, ctx: PipingContext): string | undefined {
  const extra = ctx.extra?.[inner.trim()];
  if (extra !== undefined) return extra;
  switch (token.scheme) {
    case 'l': {
      const name = token.path.toLowerCase();
      if (name === 'surveyurl') return ctx.surveyUrl;
      if (name === 'optouturl') return ctx.optOutUrl;
      return undefined;
    }
    case 'm': {
      const key = RECIPIENT_FIELDS[token.path.toLowerCase()];
      return key ? (ctx.recipient?.[key] ?? undefined) : undefined;
    }
    case 'e': {
      if (!token.path.startsWith('Field/')) return undefined;
      const name = token.path.slice('Field/'.length);
      const ed = ctx.embeddedData;
      return ed && Object.prototype.hasOwnProperty.call(ed, name) ? ed[name] : undefined;
    }
    default:
      return undefined;
  }
}

/** The replacement for one token, already escaped for the mode. */
function fillToken(inner: string, ctx: PipingContext, mode: PipingMode): string {
  const token = parseToken(inner);
  if (token.scheme === 'l') {
    const name = token.path.toLowerCase();
    if (name === 'surveylink') return link(ctx.surveyUrl, token.options.d, DEFAULT_LINK_TEXT.survey, mode);
    if (name === 'optoutlink') return link(ctx.optOutUrl, token.options.d, DEFAULT_LINK_TEXT.optOut, mode);
  }
  const value = plainValue(token, inner, ctx) ?? '';
  return mode === 'html' ? escapeHtmlText(value) : value;
}

/** The text with every `${…}` token replaced from the context (unknown tokens become ''). */
export function fillPipedText(text: string, ctx: PipingContext, mode: PipingMode): string {
  return text.replace(TOKEN, (_m, inner: string) => fillToken(inner, ctx, mode));
}
