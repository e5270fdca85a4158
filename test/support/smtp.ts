import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A message the stand-in took, as the envelope and the raw data arrived. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** Who signed in to send it, when the server asked. */
  user?: string;
  raw: string;
}

export interface SmtpStandIn {
  port: number;
  mails: ReceivedMail[];
  stop: () => Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps every message it is given (plain, no TLS, sign-in optional
 * unless `options` say otherwise): what e-mail delivery really sends, for the tests to read.
 */
export async function startSmtpStandIn(options: Partial<SMTPServerOptions> = {}): Promise<SmtpStandIn> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...options,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
