/**
 * Outgoing mail (account verification, password reset): through the SMTP server of `auth.mail.smtpUrl`
 * with nodemailer, or — when none is set — into the outbox, `storage/outbox/*.eml`, and the log, so that
 * a small library without a mail server (and the tests) can still see what would have been sent.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { BlobStore } from '../storage/blob-store.js';

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    private readonly opts: { smtpUrl: string; from: string },
    private readonly store: BlobStore,
    private readonly logger: Logger,
  ) {
    this.transport = opts.smtpUrl ? nodemailer.createTransport(opts.smtpUrl) : null;
  }

  async send(mail: Mail): Promise<void> {
    if (this.transport) {
      await this.transport.sendMail({ from: this.opts.from, to: mail.to, subject: mail.subject, text: mail.text });
      return;
    }
    const key = `outbox/${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}.eml`;
    const eml = `From: ${this.opts.from}\r\nTo: ${mail.to}\r\nSubject: ${mail.subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${mail.text}\r\n`;
    await this.store.put(key, eml);
    this.logger.info({ to: mail.to, subject: mail.subject, outbox: key }, 'mail written to the outbox (no SMTP server configured)');
  }

  /** Messages in the outbox, oldest first (for administrators without SMTP, and for tests). */
  async outbox(): Promise<string[]> {
    const names = (await this.store.list('outbox')).sort();
    return Promise.all(names.map(async (n) => (await this.store.read(`outbox/${n}`)).toString('utf8')));
  }
}
