/**
 * One recipient's e-mail built from a library message: piped text filled for the recipient, an
 * HTML part (sanitised by the caller's renderer) and a plain-text alternative, and the headers a
 * bulk invitation must carry (RFC 2369 List-Unsubscribe, RFC 8058 one-click). Pure.
 */
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
