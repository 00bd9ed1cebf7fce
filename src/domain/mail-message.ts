/**
 * One recipient's e-mail built from a library message: piped text filled for the recipient, an
 * HTML part (sanitised by the caller's renderer) and a plain-text alternative, and the headers a
 * bulk invitation must carry (RFC 2369 List-Unsubscribe, RFC 8058 one-click). Pure.
 *
 * toMime writes such a message as the RFC 5322 text an SMTP server receives, so that the sender
 * hands its transport finished bytes (building MIME through a general-purpose composer cost more
 * than the rest of sending): multipart/alternative with a text and an HTML part, both UTF-8 in
 * quoted-printable; non-ASCII subjects and names as RFC 2047 encoded-words; every line CRLF-ended
 * and at most 78 characters where a fold is possible (never over 998); CR and LF in any header
 * value become spaces, so a piped value cannot add a header.
 */
import { domainToASCII } from 'node:url';
import { fillPipedText, type PipingContext } from './piping.ts';

export interface MailEnvelope {
  /** The visible sender: "FromName" <FromEmail>. */
  fromName: string;
  fromEmail: string;
  /** The envelope sender (Return-Path), Qualtrics' SentFromAddress. */
  sentFromAddress: string;
  to: string;
  subject: string;
  messageId: string;
}

export interface MailMessage extends MailEnvelope {
  html: string;
  text: string;
  headers: Record<string, string>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/** A readable text version of message HTML: blocks become line breaks, links keep their address. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_m, href: string, label: string) => {
      const inner = label.replace(/<[^>]*>/g, '').trim();
      return inner === '' || inner === href ? href : `${inner} (${href})`;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|blockquote)>/gi, '\n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_m, e: string) => ENTITIES[e] as string)
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Subjects carry piped text too, but never a line break (header injection). */
export function renderSubject(subject: string, ctx: PipingContext): string {
  return fillPipedText(subject, ctx, 'text').replace(/[\r\n]+/g, ' ').trim();
}

export function buildMail(
  envelope: MailEnvelope,
  body: { html: string },
  links: { optOutUrl: string; oneClickUrl: string },
): MailMessage {
  return {
    ...envelope,
    html: body.html,
    text: htmlToText(body.html),
    headers: {
      'List-Unsubscribe': `<${links.oneClickUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// MIME

/** The message cannot be written as mail (an address that is not one): retrying will not help. */
export class MailFormatError extends Error {
  override readonly name = 'MailFormatError';
}

export interface MimeOptions {
  /** The Date header. */
  date: Date;
  /** Separates the parts; mimeBoundary() makes a suitable one. */
  boundary: string;
}

/**
 * A part boundary. It contains "=_", which quoted-printable output never does ("=" there is always
 * followed by two hex digits or a line break), so no body line can be mistaken for it.
 */
export function mimeBoundary(random: string): string {
  if (!/^[0-9A-Za-z]{1,40}$/.test(random)) throw new Error('mimeBoundary: expected 1 to 40 letters and digits');
  return `----=_Insight_${random}`;
}

const ADDRESS = /^([^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+)@([^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+)$/;

/**
 * An addr-spec fit for a header and an SMTP envelope: one address, no display name, nothing that
 * could end the field or name a second recipient; a non-ASCII domain in its ASCII (IDNA) form.
 */
export function mailAddress(address: string): string {
  const m = ADDRESS.exec(address.trim());
  if (!m) throw new MailFormatError(`not a mail address: ${JSON.stringify(address.slice(0, 100))}`);
  const local = m[1] as string;
  const domain = /^[\x21-\x7e]+$/.test(m[2] as string) ? (m[2] as string) : domainToASCII(m[2] as string);
  if (domain === '' || local.length > 64 || domain.length > 255) throw new MailFormatError(`not a mail address: ${JSON.stringify(address.slice(0, 100))}`);
  return `${local}@${domain}`;
}

const PRINTABLE = /^[\x20-\x7e]*$/;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>$/;
const FOLD_AT = 78;
const LINE_MAX = 998;
/** UTF-8 bytes per encoded-word: 39 bytes are 52 base64 characters, a 64-character word. */
const WORD_BYTES = 39;

/** A header value may not break its line; other control characters are dropped with it. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/** RFC 2047 "B" encoded-words for the text, each holding whole characters (§5: never half of one). */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > WORD_BYTES) {
      words.push(chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += ch;
    bytes += n;
  }
  if (chunk !== '' || words.length === 0) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`);
}

/**
 * `Name: value` with the value folded at its spaces (before them: unfolding restores the text
 * exactly) to 78 columns where it can; null when some part cannot fit in 998.
 */
function folded(name: string, value: string): string | null {
  let out = `${name}:`;
  let column = out.length;
  let lineHasWord = false;
  for (const word of value.split(' ')) {
    // Not before an empty word: a folded line of blanks alone is not allowed.
    if (column + 1 + word.length > FOLD_AT && lineHasWord && word !== '') {
      out += '\r\n';
      column = 0;
    }
    out += ` ${word}`;
    column += 1 + word.length;
    lineHasWord ||= word !== '';
    if (column > LINE_MAX) return null;
  }
  return out;
}

/** An unstructured field (Subject): as it is when that is plain ASCII, else encoded-words. */
function unstructured(name: string, value: string): string {
  const text = oneLine(value);
  if (PRINTABLE.test(text) && !text.includes('=?')) {
    const plain = folded(name, text);
    if (plain !== null) return plain;
  }
  return `${name}: ${encodedWords(text).join('\r\n ')}`;
}

/**
 * A mailbox field: `Name: "Display Name" <address>`, the name quoted when it is ASCII and fits on
 * the line, encoded-words otherwise; the address goes on a line of its own when it would not fit.
 */
function mailbox(field: string, name: string, address: string): string {
  const text = oneLine(name).trim();
  if (text === '') return `${field}: ${mailAddress(address)}`;
  const addr = `<${mailAddress(address)}>`;
  const quoted = `"${text.replace(/[\\"]/g, '\\$&')}"`;
  const words = PRINTABLE.test(text) && !text.includes('=?') && field.length + 2 + quoted.length <= FOLD_AT ? [quoted] : encodedWords(text);
  const last = words[words.length - 1] as string;
  const column = words.length === 1 ? field.length + 2 + last.length : last.length + 1;
  return `${field}: ${words.join('\r\n ')}${column + 1 + addr.length <= FOLD_AT ? ' ' : '\r\n '}${addr}`;
}

/** A structured field the sender writes itself (List-Unsubscribe…): printable ASCII only, folded at spaces. */
function structured(name: string, value: string): string {
  if (!FIELD_NAME.test(name)) throw new MailFormatError(`not a header name: ${JSON.stringify(name)}`);
  const text = oneLine(value);
  const line = PRINTABLE.test(text) ? folded(name, text) : null;
  if (line === null) throw new MailFormatError(`${name}: the value must be printable ASCII that fits in a header line`);
  return line;
}

/** RFC 5322 date-time in UTC: `Sat, 28 Nov 2026 12:15:54 +0000`. */
export const mailDate = (date: Date) => date.toUTCString().replace(/GMT$/, '+0000');

const HEX = Array.from({ length: 256 }, (_, b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
/** What a quoted-printable line may carry as it is: printable ASCII but "=", and the blanks. */
const QP_PLAIN = /^[\t\x20-\x3c\x3e-\x7e]*$/;
const QP_OTHER = /[^\t\x20-\x3c\x3e-\x7e]+/g;
/** 76 characters a line (RFC 2045 §6.7), the soft break's "=" included. */
const QP_LINE = 76;

function qpBytes(run: string): string {
  let out = '';
  for (const b of Buffer.from(run, 'utf8')) out += HEX[b];
  return out;
}

function qpLine(line: string): string {
  let enc = QP_PLAIN.test(line) ? line : line.replace(QP_OTHER, qpBytes);
  // A blank that ends a line would be taken for transport padding (rule 3).
  const last = enc.charCodeAt(enc.length - 1);
  if (last === 0x20 || last === 0x09) enc = enc.slice(0, -1) + HEX[last];
  if (enc.length <= QP_LINE) return enc;
  let out = '';
  let start = 0;
  while (enc.length - start > QP_LINE) {
    let end = start + QP_LINE - 1;
    // Never split an =XX escape ("=" in the encoded text always starts one).
    if (enc[end - 1] === '=') end -= 1;
    else if (enc[end - 2] === '=') end -= 2;
    out += `${enc.slice(start, end)}=\r\n`;
    start = end;
  }
  return out + enc.slice(start);
}

/** Quoted-printable (RFC 2045 §6.7) of the text as UTF-8; its line breaks become CRLF. */
export function quotedPrintable(text: string): string {
  return text.split(/\r\n|\r|\n/).map(qpLine).join('\r\n');
}

function textPart(boundary: string, subtype: 'plain' | 'html', body: string): string {
  return `--${boundary}\r\nContent-Type: text/${subtype}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(body)}\r\n`;
}

/**
 * The message as sent: headers, then the text and HTML alternatives. Throws MailFormatError when an
 * address, the Message-ID or a header cannot be written (the message could never be sent).
 */
export function toMime(m: MailMessage, options: MimeOptions): string {
  if (!MESSAGE_ID.test(m.messageId)) throw new MailFormatError(`not a Message-ID: ${JSON.stringify(m.messageId.slice(0, 100))}`);
  const head = [
    mailbox('From', m.fromName, m.fromEmail),
    `To: ${mailAddress(m.to)}`,
    unstructured('Subject', m.subject),
    `Date: ${mailDate(options.date)}`,
    `Message-ID: ${m.messageId}`,
    'MIME-Version: 1.0',
    ...Object.entries(m.headers).map(([name, value]) => structured(name, value)),
    `Content-Type: multipart/alternative;\r\n boundary="${options.boundary}"`,
  ];
  return `${head.join('\r\n')}\r\n\r\n${textPart(options.boundary, 'plain', m.text)}${textPart(options.boundary, 'html', m.html)}--${options.boundary}--\r\n`;
}
