/**
 * Survey texts (question and choice HTML from QSF files, headers, footers, end-of-survey messages) made
 * safe to put on a respondent's page. An allow-list: formatting, lists, tables, links (http/https/mailto,
 * always rel=noopener), images (http/https/data:image raster only), spans/divs with a class. No style
 * attribute (the page's CSP refuses inline styles anyway), no scripts, frames, forms, SVG or event handlers.
 *
 * The same few texts are sanitized for every page view, so results are kept in a bounded LRU cache.
 */
import sanitizeHtml from 'sanitize-html';

/** Our own page classes start with `sv-`; survey texts may not borrow them to mimic the page's UI. */
const AUTHOR_CLASS = /^(?!sv-)[A-Za-z_][\w-]{0,63}$/;
/** Raster images only: an SVG document can carry script. */
const DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|avif|bmp);base64,[A-Za-z0-9+/=\s]*$/i;
const HTTP_URL = /^https?:\/\//i;
const LINK_URL = /^(?:https?:\/\/|mailto:)/i;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'big', 'sub', 'sup', 'mark', 'abbr', 'q', 'cite',
    'blockquote', 'hr', 'pre', 'code', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'h2', 'h3', 'h4', 'h5', 'h6',
    'span', 'div', 'a', 'img', 'figure', 'figcaption',
    'table', 'caption', 'colgroup', 'col', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
  ],
  allowedAttributes: {
    '*': ['lang', 'dir', 'title'],
    a: ['href', 'rel', 'target'],
    img: ['src', 'alt', 'width', 'height'],
    span: ['class'],
    div: ['class'],
    th: ['scope', 'colspan', 'rowspan'],
    td: ['colspan', 'rowspan'],
    col: ['span'],
    colgroup: ['span'],
    ol: ['start', 'type'],
    abbr: ['title'],
  },
  allowedClasses: { span: [AUTHOR_CLASS], div: [AUTHOR_CLASS] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'iframe', 'object', 'svg', 'math', 'xmp', 'noembed', 'noframes'],
  transformTags: {
    // The page has one h1 (the survey name); an author's h1 becomes the next level.
    h1: 'h2',
    a: (tagName, attribs) => {
      const out: sanitizeHtml.Attributes = { rel: 'noopener noreferrer' };
      // Relative links would point into this site; only absolute web and mail links are kept.
      if (attribs.href !== undefined && LINK_URL.test(attribs.href.trim())) out.href = attribs.href;
      if (attribs.target === '_blank') out.target = '_blank';
      return { tagName, attribs: out };
    },
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      const s = src?.trim() ?? '';
      // An image without an address we allow is dropped by renaming it to a tag that is not allowed
      // (exclusiveFilter would do it too, but costs a copy of the output so far per image).
      if (!HTTP_URL.test(s) && !DATA_IMAGE.test(s)) return { tagName: 'dropped-img', attribs: {} };
      return { tagName, attribs: { src: s, ...rest } };
    },
  },
};

/** Nothing here can be markup, so the text is already safe as it is. */
const PLAIN = /^[^<>&]*$/;

/** Bounds of the cache: entries and total characters held (keys and values). */
const MAX_ENTRIES = 4000;
const MAX_CHARS = 8_000_000;
/** Longer texts are cut before sanitizing: no survey text is this long, and the sanitizer's time grows with it. */
export const MAX_INPUT = 1_000_000;

const cache = new Map<string, string>();
let cachedChars = 0;

function remember(input: string, output: string): void {
  cache.set(input, output);
  cachedChars += input.length + output.length;
  while (cache.size > MAX_ENTRIES || cachedChars > MAX_CHARS) {
    const oldest = cache.keys().next();
    if (oldest.done) break;
    cachedChars -= oldest.value.length + (cache.get(oldest.value) as string).length;
    cache.delete(oldest.value);
  }
}

/** Safe HTML for a survey text; anything that is not a string becomes ''. */
export function sanitizeSurveyHtml(input: string): string {
  if (typeof input !== 'string' || input === '') return '';
  if (PLAIN.test(input)) return input;
  const hit = cache.get(input);
  if (hit !== undefined) {
    // Most recently used last, so eviction takes the least recently used.
    cache.delete(input);
    cache.set(input, hit);
    return hit;
  }
  const output = sanitizeHtml(input.length > MAX_INPUT ? input.slice(0, MAX_INPUT) : input, OPTIONS);
  remember(input, output);
  return output;
}

/** For tests and memory checks: how much the cache holds. */
export function sanitizeCacheStats(): { entries: number; chars: number } {
  return { entries: cache.size, chars: cachedChars };
}
