/**
 * Where invitations go: an SMTP server through a pooled nodemailer transport (SMTP_URL), or, on an
 * installation without one, the built-in outbox table (recorded by the sender in the same
 * transaction that marks the recipient sent, so the outbox is exactly-once by construction).
 */
import nodemailer from 'nodemailer';
import type { MailMessage } from '../domain/mail-message.ts';

/** An SMTP failure: permanent for a 5xx reply, temporary for 4xx replies and connection trouble. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The server refused the recipient's address (RCPT TO 5xx): counted as a bounce. */
    readonly bounced: boolean,
  ) {
    super(message);
  }
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Resolves once the server accepted the message; throws SendError otherwise. Unused for the outbox. */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const quoteName = (name: string) => `"${name.replace(/[\\"]/g, '\\$&').replace(/[\r\n]+/g, ' ')}"`;

interface SmtpFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  rejectedErrors?: SmtpFailure[];
}

export function classify(error: unknown): SendError {
  const e = (error ?? {}) as SmtpFailure;
  const inner = e.rejectedErrors?.[0];
  const code = e.responseCode ?? inner?.responseCode;
  const permanent = typeof code === 'number' && code >= 500 && code < 600;
  const bounced = permanent && (e.code === 'EENVELOPE' || inner?.code === 'EENVELOPE');
  return new SendError(e.message ?? String(error), permanent, bounced);
}

export function smtpTransport(url: string, maxConnections = 10): MailTransport {
  const transporter = nodemailer.createTransport({ url, pool: true, maxConnections, maxMessages: Infinity });
  return {
    kind: 'smtp',
    async send(m) {
      try {
        await transporter.sendMail({
          from: { name: m.fromName, address: m.fromEmail },
          envelope: { from: m.sentFromAddress, to: m.to },
          to: m.to,
          subject: m.subject,
          html: m.html,
          text: m.text,
          messageId: m.messageId,
          headers: m.headers,
        });
      } catch (error) {
        throw classify(error);
      }
    },
    close: () => transporter.close(),
  };
}

export const outboxTransport: MailTransport = {
  kind: 'outbox',
  send: async () => {
    throw new Error('outbox mail is recorded by the sender, not sent');
  },
  close: () => undefined,
};

export const fromHeader = (m: Pick<MailMessage, 'fromName' | 'fromEmail'>) => (m.fromName === '' ? m.fromEmail : `${quoteName(m.fromName)} <${m.fromEmail}>`);

/** Messages per second per brand, shared by every send of this process (0 = no limit). */
export class BrandRateLimiter {
  private readonly next = new Map<string, number>();
  constructor(private readonly perSecond: number) {}

  async take(brandId: string): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.next.get(brandId) ?? now);
    this.next.set(brandId, slot + 1000 / this.perSecond);
    if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
  }
}
