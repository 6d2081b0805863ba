// Sends one test message with the PDS's own mailer settings (PDS_EMAIL_SMTP_URL and
// PDS_EMAIL_FROM_ADDRESS from /pds/pds.env), using the nodemailer the PDS itself uses.
// Usage: node send-test-email.mjs RECIPIENT
// pds.env is read here as data, the way systemd reads it (KEY=VALUE, surrounding quotes removed),
// never sourced by a shell: a value in it can hold anything without being run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const ENV_FILE = process.env.PDS_ENV_FILE || '/pds/pds.env';
const settings = new Map();
for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
  if (!match) continue;
  const raw = match[2];
  settings.set(match[1], /^(["'])(.*)\1$/.test(raw) ? raw.slice(1, -1) : raw);
}

const require = createRequire('/opt/hearth/pds/package.json');
const nodemailer = require('nodemailer');
const to = process.argv[2];
const url = settings.get('PDS_EMAIL_SMTP_URL');
const from = settings.get('PDS_EMAIL_FROM_ADDRESS');
if (!url || !from) {
  console.error('No mail server is set up in /pds/pds.env (PDS_EMAIL_SMTP_URL, PDS_EMAIL_FROM_ADDRESS).');
  process.exit(2);
}
const transport = nodemailer.createTransport(url, { connectionTimeout: 15_000, greetingTimeout: 15_000 });
try {
  const info = await transport.sendMail({
    from,
    to,
    subject: 'Test message from your PDS',
    text: 'Your PDS can send email: sign-up confirmations and password resets will arrive.\n\n(Sent by Hearth.)',
  });
  console.log(`Accepted by the mail server: ${info.response}`);
} catch (err) {
  console.error(`The mail server refused: ${err.message}`);
  process.exit(1);
}
