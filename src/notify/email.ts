// Sending one message over SMTP with nodemailer, and saying in one sentence what went
// wrong when it does not go.

import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { EmailSettings } from '../core/policy.js';
import { ConfigError } from '../errors.js';

export interface Mailer {
  /** Resolves to the server's answer ("250 2.0.0 OK ..."). */
  send(subject: string, body: string): Promise<string>;
  describe: string;
}

function password(settings: EmailSettings, env: NodeJS.ProcessEnv): string | undefined {
  if (settings.passwordFile) {
    try {
      return readFileSync(settings.passwordFile, 'utf8').split('\n')[0]!;
    } catch (error) {
      throw new ConfigError(`Cannot read alerts.email.passwordFile ${settings.passwordFile} (${(error as NodeJS.ErrnoException).code}).`);
    }
  }
  if (settings.passwordEnv) {
    const value = env[settings.passwordEnv];
    if (value === undefined) throw new ConfigError(`alerts.email.passwordEnv names ${settings.passwordEnv}, which is not set.`);
    return value;
  }
  return undefined;
}

interface SmtpError extends Error {
  /** nodemailer's kind of failure (EAUTH, ESOCKET, ...). */
  code?: string;
  /** The system's or TLS's own code, which nodemailer keeps when it sets its own. */
  originalCode?: string;
  response?: string;
  responseCode?: number;
}

/** Node's codes for a server certificate that cannot be trusted: what
 *  `trustSelfSigned` is for. */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** "the SMTP server mail.example:587 refused the login: 535 5.7.8 ..." */
export function describeSmtpError(server: string, error: unknown): string {
  const e = error as SmtpError;
  const detail = (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  if (UNTRUSTED_CERTIFICATE.has(e.originalCode ?? e.code ?? '')) {
    return `TLS with the SMTP server ${server} failed: ${detail}; set alerts.email.trustSelfSigned to accept a self-signed certificate`;
  }
  switch (e.code) {
    case 'ETLS':
      return `TLS with the SMTP server ${server} failed: ${detail}`;
    case 'EAUTH':
      return `the SMTP server ${server} refused the login: ${detail}`;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ETIMEDOUT':
    case 'EDNS':
      return `cannot reach the SMTP server ${server}: ${detail}`;
    default:
      return `the SMTP server ${server} did not take the message: ${detail}`;
  }
}

export function smtpMailer(settings: EmailSettings, env: NodeJS.ProcessEnv): Mailer {
  const pass = password(settings, env);
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    auth: settings.user ? { user: settings.user, pass: pass ?? '' } : undefined,
    tls: settings.trustSelfSigned ? { rejectUnauthorized: false } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  const server = `${settings.host}:${settings.port}`;
  return {
    describe: server,
    send: async (subject, body) => {
      try {
        // Plain text only: container names come from whoever started the container.
        const info = await transport.sendMail({ from: settings.from, to: settings.to, subject, text: body });
        return info.response;
      } catch (error) {
        throw new Error(describeSmtpError(server, error));
      } finally {
        transport.close();
      }
    },
  };
}
