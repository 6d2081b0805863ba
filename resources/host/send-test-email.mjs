// Sends one test message with the PDS's own mailer settings (PDS_EMAIL_SMTP_URL and
// PDS_EMAIL_FROM_ADDRESS from /pds/pds.env), using the nodemailer the PDS itself uses.
// Usage: node send-test-email.mjs RECIPIENT   (run from /opt/hearth/pds, environment from pds.env)
import { createRequire } from 'node:module';

const require = createRequire('/opt/hearth/pds/package.json');
const nodemailer = require('nodemailer');
const to = process.argv[2];
const url = process.env.PDS_EMAIL_SMTP_URL;
const from = process.env.PDS_EMAIL_FROM_ADDRESS;
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
