// Sending one message over SMTP with nodemailer, and saying in one sentence what went
// wrong when it does not go.

import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { EmailSettings } from '../core/policy.js';
import { ConfigError } from '../errors.js';

export interface OutgoingMessage {
  subject: string;
  body: string;
  /** The Message-ID header, "<...@...>": the same on every attempt at one message, so
   *  that a copy that does arrive twice is recognisably one message. */
  messageId?: string;
}

export interface Mailer {
  /** Resolves to the server's answer ("250 2.0.0 OK ..."). Rejects with a
   *  DeliveryError. `onTransmitted` is called once the whole message has been handed
   *  to the server, before its final answer. */
  send(message: OutgoingMessage, onTransmitted?: () => void): Promise<string>;
  describe: string;
}

/** A failed send, and how far it got: a message whose every byte went to the server
 *  without an answer (a timeout, a dropped connection) may have been delivered. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** The whole message was handed to the server. */
    readonly transmitted: boolean,
    /** The server answered it (a 4xx or 5xx reply): not delivered, for certain. */
    readonly answered: boolean,
  ) {
    super(message);
  }
}

/**
 * SMTP timeouts (RFC 5321 4.5.3.2 suggests 5 minutes for the greeting, MAIL and RCPT,
 * 2 for DATA, 3 per data block and 10 for the answer to the final "."). Giving up
 * before the message is transmitted loses nothing (the outbox retries), so the steps
 * before it share a budget short enough for a pass that holds the run lock. After it,
 * giving up is what makes duplicates: the answer to the final "." is waited for longer,
 * and a message whose answer never came is not sent again (pipeline/notify.ts).
 */
export const SMTP_TIMEOUTS = {
  /** TCP connect (and the DNS lookup). */
  connectionMs: 30_000,
  /** The 220 greeting, after connecting. */
  greetingMs: 30_000,
  /** Everything before the message is transmitted: connect, greeting, EHLO, STARTTLS,
   *  AUTH, MAIL, RCPT, DATA. */
  beforeDataMs: 120_000,
  /** Silence while the message is transmitted and while its final answer is awaited. */
  dataMs: 180_000,
};

/** WATCHDOG_SMTP_DATA_TIMEOUT_MS shortens the wait for the final answer (the tests). */
function dataTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.WATCHDOG_SMTP_DATA_TIMEOUT_MS);
  return Number.isInteger(value) && value > 0 ? value : SMTP_TIMEOUTS.dataMs;
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
    connectionTimeout: SMTP_TIMEOUTS.connectionMs,
    greetingTimeout: SMTP_TIMEOUTS.greetingMs,
    socketTimeout: dataTimeoutMs(env),
  });
  // Sends are one at a time: the one in flight learns here when its last byte was taken
  // by the connection. The message's final stream is read only once the server has
  // accepted MAIL, RCPT and DATA (354), so its end, unlike a transform's flush (which a
  // small message reaches at once, in the buffers), means the whole message was handed
  // over.
  let transmittedNow: (() => void) | null = null;
  transport.use('stream', (mail, done) => {
    const onEnd = transmittedNow;
    mail.message.processFunc((output) => {
      output.once('end', () => onEnd?.());
      return output;
    });
    done();
  });
  const server = `${settings.host}:${settings.port}`;
  return {
    describe: server,
    send: async ({ subject, body, messageId }, onTransmitted) => {
      let transmitted = false;
      const abort = new AbortController();
      const beforeData = setTimeout(() => abort.abort(), SMTP_TIMEOUTS.beforeDataMs);
      transmittedNow = () => {
        transmitted = true;
        clearTimeout(beforeData);
        onTransmitted?.();
      };
      try {
        // Plain text only: container names come from whoever started the container.
        const info = await transport.sendMail({ from: settings.from, to: settings.to, subject, text: body, messageId, signal: abort.signal });
        return info.response;
      } catch (error) {
        const e = error as SmtpError;
        const why = abort.signal.aborted ? `no answer within ${SMTP_TIMEOUTS.beforeDataMs / 1000} s` : describeSmtpError(server, error);
        throw new DeliveryError(abort.signal.aborted ? `cannot reach the SMTP server ${server}: ${why}` : why, transmitted, transmitted && typeof e.responseCode === 'number');
      } finally {
        clearTimeout(beforeData);
        transmittedNow = null;
        transport.close();
      }
    },
  };
}
