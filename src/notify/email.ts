import { createTransport } from 'nodemailer';
import { emailHeader } from './escape.js';
import type { EmailMessage } from './formats.js';
import type { SmtpSettings } from './settings.js';
import { messageOf } from '../lib/message-of.js';

export const SMTP_TIMEOUT_MS = 10_000;

export interface EmailSender {
  /**
   * Sends one message to every address. An SMTP error, a timeout or every recipient refused throws;
   * when only some are refused, the message went to the others and `rejected` names the rest.
   */
  send(
    to: string[],
    message: EmailMessage,
  ): Promise<{ messageId: string; accepted: string[]; rejected: string[] }>;
}

/** Sends escalation e-mail through the configured SMTP server with nodemailer. */
export function createEmailSender(settings: SmtpSettings): EmailSender {
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    // The message is built from strings only: nodemailer must never read a file or URL for it.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(to, message) {
      const info = await transport
        .sendMail({
          from: settings.from,
          to,
          // One line whatever built it: a CR or LF here would start a header of the sender's choosing.
          subject: emailHeader(message.subject),
          text: message.text,
          html: message.html,
        })
        .catch((err: unknown) => {
          throw new Error(
            `SMTP ${settings.host}:${settings.port} did not take the e-mail: ${messageOf(err)}`,
          );
        });
      return { messageId: info.messageId, accepted: info.accepted, rejected: info.rejected };
    },
  };
}
