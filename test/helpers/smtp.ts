// A real SMTP server on 127.0.0.1 for the alert tests (the smtp-server package), that
// keeps what it receives.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface Received {
  subject: string;
  from: string;
  to: string[];
  body: string;
  raw: string;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** Unfolds the headers of a raw message and splits off its body. */
function parse(raw: string, from: string, to: string[]): Received {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers = head!.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const subject = headers.find((h) => h.toLowerCase().startsWith('subject:'))?.slice('subject:'.length).trim() ?? '';
  return { subject, from, to, body: rest.join('\r\n\r\n'), raw };
}

export interface SmtpOptions {
  port?: number;
  /** STARTTLS with a self-signed certificate made here. */
  tls?: boolean;
  /** Require this user and password. */
  auth?: { user: string; pass: string };
  /** A slow server: keeps each message as soon as its last byte arrives, and answers the
   *  final "." only this many ms later (after the client may have given up). */
  ackDelayMs?: number;
  /** A server that never answers the first MAIL FROM it is sent (a stall before the
   *  message is transmitted); later ones are answered. */
  stallFirstMailFrom?: boolean;
}

export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'wd-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const tls = options.tls ? selfSignedCertificate() : null;
  let stalled = false;
  const server = new SMTPServer({
    logger: false,
    // A slow server must not hang up on its own before it answers.
    ...(options.ackDelayMs ? { socketTimeout: options.ackDelayMs + 60_000 } : {}),
    secure: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ['STARTTLS'] }),
    authOptional: !options.auth,
    ...(options.auth ? {} : { disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'] }),
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, callback) {
      if (options.stallFirstMailFrom && !stalled) {
        stalled = true;
        return; // no answer, ever
      }
      callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        received.push(parse(raw, session.envelope.mailFrom ? session.envelope.mailFrom.address : '', session.envelope.rcptTo.map((r) => r.address)));
        if (options.ackDelayMs) setTimeout(() => callback(null), options.ackDelayMs).unref();
        else callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as { port: number };
  return { port: address.port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
