/**
 * Where invitations go: an SMTP server through a pool of SMTP_POOL_SIZE connections (SMTP_URL), or,
 * on an installation without one, the built-in outbox table (recorded by the sender in the same
 * transaction that marks the recipient sent, so the outbox is exactly-once by construction).
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl, type ConnectionUrlOptions } from 'nodemailer/lib/shared';
import { randomBase62 } from '../domain/ids.ts';
import { MailFormatError, mailAddress, mimeBoundary, toMime, type MailMessage } from '../domain/mail-message.ts';

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
  // A message that cannot be written will not become writable by trying again.
  if (error instanceof MailFormatError) return new SendError(error.message, true, false);
  const e = (error ?? {}) as SmtpFailure;
  const inner = e.rejectedErrors?.[0];
  const code = e.responseCode ?? inner?.responseCode;
  const permanent = typeof code === 'number' && code >= 500 && code < 600;
  const bounced = permanent && (e.code === 'EENVELOPE' || inner?.code === 'EENVELOPE');
  return new SendError(e.message ?? String(error), permanent, bounced);
}

/**
 * Pooled SMTP. Each message goes as finished MIME (toMime) with an explicit envelope over one of
 * the pool's connections (nodemailer's SMTPConnection: STARTTLS, AUTH, dot-stuffing). Neither
 * nodemailer's composer nor its pool queue is used: they cost several times the SMTP exchange.
 */
export function smtpTransport(url: string, poolSize = 10): MailTransport {
  const pool = new SmtpPool(parseConnectionUrl(url), poolSize);
  const boundary = mimeBoundary(randomBase62(24));
  return {
    kind: 'smtp',
    async send(m) {
      try {
        const raw = toMime(m, { date: new Date(), boundary });
        await pool.send({ from: mailAddress(m.sentFromAddress), to: [mailAddress(m.to)] }, raw);
      } catch (error) {
        throw classify(error);
      }
    },
    close: () => pool.close(),
  };
}

interface Connection {
  smtp: SMTPConnection;
  /** Closed, failed or ended by the server: never handed out again. */
  broken: boolean;
}

interface SmtpFailureCode {
  code?: string;
  responseCode?: number;
}

/**
 * Up to `size` connections, each carrying one message at a time; a send waits for a free one. A
 * connection is opened when needed, kept while it works, reset after the server refused just the
 * message (as nodemailer's pool does), and replaced after any other failure.
 */
class SmtpPool {
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<{ resolve: (c: Connection) => void; reject: (e: unknown) => void }> = [];
  /** Connections open or opening. */
  private count = 0;
  private closed = false;

  constructor(
    /** From the SMTP_URL, as nodemailer reads one (smtps: for TLS, user:password@, ?option=value). */
    private readonly options: ConnectionUrlOptions,
    private readonly size: number,
  ) {}

  async send(envelope: SMTPConnection.Envelope, raw: string): Promise<void> {
    const c = await this.acquire();
    let failure: unknown = null;
    try {
      await new Promise<void>((resolve, reject) => c.smtp.send(envelope, raw, (err) => (err ? reject(err) : resolve())));
    } catch (error) {
      failure = error;
    }
    const keep = !c.broken && (failure === null || (await this.resetAfterRefusal(c, failure)));
    this.release(c, keep);
    if (failure !== null) throw failure;
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.smtp.quit();
    for (const w of this.waiting.splice(0)) w.reject(new Error('the SMTP transport was closed'));
  }

  private acquire(): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error('the SMTP transport was closed'));
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (!c.broken) return Promise.resolve(c);
      // The server ended it while it was idle.
      c.smtp.close();
      this.count--;
    }
    if (this.count < this.size) return this.open();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(c: Connection, keep: boolean): void {
    if (keep && !this.closed) {
      const next = this.waiting.shift();
      if (next) next.resolve(c);
      else this.idle.push(c);
      return;
    }
    c.broken = true;
    c.smtp.close();
    this.count--;
    // Someone is waiting for the connection that just went: open another for them.
    const next = this.waiting.shift();
    if (next) this.open().then(next.resolve, next.reject);
  }

  /** After a refusal of this message only (RCPT or DATA, not 421), RSET makes the connection good for the next. */
  private async resetAfterRefusal(c: Connection, failure: unknown): Promise<boolean> {
    const f = failure as SmtpFailureCode;
    if ((f.code !== 'EENVELOPE' && f.code !== 'EMESSAGE') || f.responseCode === 421) return false;
    return new Promise((resolve) => c.smtp.reset((err) => resolve(!err && !c.broken)));
  }

  private open(): Promise<Connection> {
    this.count++;
    return new Promise<Connection>((resolve, reject) => {
      // The URL's options are SMTPConnection's (auth aside, which login takes).
      const c: Connection = { smtp: new SMTPConnection(this.options as SMTPConnection.Options), broken: false };
      let settled = false;
      const fail = (error: unknown) => {
        c.broken = true;
        if (settled) return;
        settled = true;
        c.smtp.close();
        reject(error);
      };
      const ready = () => {
        if (settled) return;
        settled = true;
        resolve(c);
      };
      // After the connection is up, a send's callback reports its failures; these only retire it.
      c.smtp.on('error', fail);
      c.smtp.once('end', () => fail(new Error('the SMTP server closed the connection')));
      c.smtp.connect((err) => {
        if (err) return fail(err);
        const auth = this.options.auth;
        // As nodemailer: credentials are offered only to a server that advertises AUTH (or when forced).
        const offersAuth = c.smtp.allowsAuth || this.options.forceAuth === true;
        if (auth && offersAuth) c.smtp.login(auth, (e) => (e ? fail(e) : ready()));
        else ready();
      });
    }).catch((error: unknown) => {
      this.count--;
      throw error;
    });
  }
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
