/**
 * A library message body compiled once for a mailing: sanitised once with a marker in place of each
 * piped token, so that each recipient's HTML is the sanitised text with their values put in
 * (escaped) rather than a fresh run of the sanitiser, which cost more than everything else a
 * message needs.
 *
 * The result is byte for byte the one renderMessageHtml gives (values are escaped as the sanitiser
 * writes text and attributes), because the template is used only where the sanitiser cannot have
 * treated a value differently from a marker:
 * - every marker must come out of the sanitiser exactly once, and a plain value's marker as text
 *   (not inside a tag): escaped text cannot open a tag, so the sanitiser keeps it as it is;
 * - a link's address (${l://SurveyLink}, ${l://SurveyURL}…) may sit in an attribute, and its marker
 *   is itself an http URL, so the sanitiser's scheme checks treat both alike; a recipient whose
 *   address is not such a URL is rendered by renderMessageHtml instead.
 * A body for which this does not hold (a token inside an attribute, in a script…) is always
 * rendered by renderMessageHtml. (One difference remains, harmless: where the body's own text and a
 * value would together spell a character reference, `&amp` then `;…`, the characters are shown as
 * written instead.)
 */
import sanitizeHtml from 'sanitize-html';
import { randomBase62 } from '../domain/ids.ts';
import { fillPipedText, findPipedText, type PipedToken, type PipingContext } from '../domain/piping.ts';
import { MESSAGE_HTML, renderMessageHtml } from './messages.ts';

export interface MessageTemplate {
  /** False when every recipient is rendered by renderMessageHtml (the body did not compile). */
  readonly compiled: boolean;
  /** The sanitised HTML for one recipient, as renderMessageHtml(body, ctx) gives it. */
  render(ctx: PipingContext): string;
}

type Slot =
  /** A token's plain value, as text. */
  | { kind: 'text'; raw: string }
  /** A link address: the URL itself, or the href of the anchor a link token becomes. */
  | { kind: 'url'; of: 'surveyUrl' | 'optOutUrl' };

const LINK_TOKENS: Record<string, { of: 'surveyUrl' | 'optOutUrl'; anchor: boolean }> = {
  surveylink: { of: 'surveyUrl', anchor: true },
  surveyurl: { of: 'surveyUrl', anchor: false },
  optoutlink: { of: 'optOutUrl', anchor: true },
  optouturl: { of: 'optOutUrl', anchor: false },
};

// The same test piping.ts makes before it writes an anchor; a URL failing it takes the slow path.
const isWebUrl = (url: string | undefined): url is string => url !== undefined && /^https?:\/\/[^\s"'<>`]+$/i.test(url);

// As sanitize-html writes text, and attribute values (where a web URL can hold no `"` anyway).
const escapeText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (value: string) => escapeText(value).replace(/"/g, '&quot;');

function slotOf(token: PipedToken): Slot {
  const link = token.scheme === 'l' ? LINK_TOKENS[token.path.toLowerCase()] : undefined;
  return link ? { kind: 'url', of: link.of } : { kind: 'text', raw: token.raw };
}

/** Compiles the body; the fallback renders each recipient with renderMessageHtml. */
export function compileMessageHtml(body: string): MessageTemplate {
  const slow: MessageTemplate = { compiled: false, render: (ctx) => renderMessageHtml(body, ctx) };
  const tokens = findPipedText(body);
  if (tokens.length === 0) {
    const html = renderMessageHtml(body, {});
    return { compiled: true, render: () => html };
  }
  let marker = `Zq${randomBase62(12)}`;
  while (body.includes(marker)) marker = `Zq${randomBase62(12)}`;
  const textMarker = (i: number) => `${marker}x${i}y`;
  const urlMarker = (i: number) => `http://${marker}.invalid/${textMarker(i)}`;

  const slots = tokens.map(slotOf);
  let filled = '';
  let at = 0;
  tokens.forEach((token, i) => {
    const slot = slots[i] as Slot;
    filled += body.slice(at, token.index);
    if (slot.kind === 'text') filled += textMarker(i);
    else if (LINK_TOKENS[token.path.toLowerCase()]?.anchor) filled += fillPipedText(token.raw, { [slot.of]: urlMarker(i) }, 'html');
    else filled += urlMarker(i);
    at = token.index + token.raw.length;
  });
  filled += body.slice(at);
  // Straight to the sanitiser: filling again could take a marker framed by `${…}` for a token.
  const html = sanitizeHtml(filled, MESSAGE_HTML);

  const parts: string[] = [];
  const order: number[] = [];
  const seen = new Set<number>();
  const find = new RegExp(`(?:http://${marker}\\.invalid/)?${marker}x(\\d+)y`, 'g');
  let last = 0;
  for (const m of html.matchAll(find)) {
    const i = Number(m[1]);
    const slot = slots[i];
    const isUrl = m[0].startsWith('http://');
    const inTag = html.lastIndexOf('<', m.index) > html.lastIndexOf('>', m.index);
    // A marker twice, of the wrong form, or a plain value inside a tag: the sanitiser looked at it.
    if (!slot || seen.has(i) || isUrl !== (slot.kind === 'url') || (inTag && slot.kind === 'text')) return slow;
    seen.add(i);
    parts.push(html.slice(last, m.index));
    order.push(i);
    last = m.index + m[0].length;
  }
  parts.push(html.slice(last));
  // A marker the sanitiser dropped (in a script, an attribute it refused…) may not be dropped for a real value.
  if (seen.size !== slots.length) return slow;

  return {
    compiled: true,
    render(ctx) {
      if (ctx.extra !== undefined) return slow.render(ctx);
      const values: string[] = [];
      for (const i of order) {
        const slot = slots[i] as Slot;
        if (slot.kind === 'text') {
          values.push(escapeText(fillPipedText(slot.raw, ctx, 'text')));
        } else {
          const url = ctx[slot.of];
          if (!isWebUrl(url)) return slow.render(ctx);
          values.push(escapeAttribute(url));
        }
      }
      let out = parts[0] as string;
      for (let k = 0; k < values.length; k++) out += (values[k] as string) + (parts[k + 1] as string);
      return out;
    },
  };
}

/** Compiled bodies by their text, the most recently used kept (a send job reuses one for all its recipients). */
export class MessageTemplates {
  private readonly cache = new Map<string, MessageTemplate>();
  constructor(private readonly limit = 16) {}

  get(body: string): MessageTemplate {
    let t = this.cache.get(body);
    if (t) {
      this.cache.delete(body);
    } else {
      t = compileMessageHtml(body);
      if (this.cache.size >= this.limit) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(body, t);
    return t;
  }
}
