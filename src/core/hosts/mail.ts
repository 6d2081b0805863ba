import { HearthError } from '../../shared/errors.ts';
import { SMTP_URL_SECRET } from '../secrets/names.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { HostDeps } from './host-deps.ts';
import { writeIfChanged } from './install.ts';
import { smtpUrlForEnv } from './pds-env.ts';
import { parseEnvFile } from './pds-secrets.ts';
import { shellQuote } from './ssh/shell-quote.ts';

/**
 * The PDS's mail settings for an install: a new SMTP address goes to the keychain (it holds a
 * password); otherwise the kept one. The sender is the one asked for, else the server's pds.env's.
 */
export async function smtpSettings(
  deps: Pick<HostDeps, 'secrets' | 'sessions'>,
  serverId: string,
  request: { smtpUrl?: string | undefined; emailFrom?: string | undefined },
): Promise<{ smtpUrl?: string; emailFrom?: string }> {
  if (request.smtpUrl) {
    smtpUrlForEnv(request.smtpUrl); // refused with words before it is kept
    await deps.secrets.set(secretAccount(serverId, SMTP_URL_SECRET), request.smtpUrl);
  }
  const smtpUrl = request.smtpUrl ?? (await deps.secrets.get(secretAccount(serverId, SMTP_URL_SECRET)));
  const emailFrom =
    request.emailFrom ??
    (await deps.sessions
      .session(serverId)
      .then((ssh) => ssh.readFile('/pds/pds.env'))
      .then((env) => (env ? parseEnvFile(env.toString('utf8')).get('PDS_EMAIL_FROM_ADDRESS') : undefined)));
  return { ...(smtpUrl && { smtpUrl }), ...(emailFrom && { emailFrom }) };
}

/** Sends a test email from the server, with the PDS's own mail settings. */
export async function sendTestEmail(deps: Pick<HostDeps, 'sessions' | 'files'>, serverId: string, to: string): Promise<{ response: string }> {
  const ssh = await deps.sessions.session(serverId);
  await writeIfChanged(ssh, '/opt/hearth/share/send-test-email.mjs', await deps.files.read('send-test-email.mjs'), 0o644);
  // The script reads pds.env itself, as data: no value of it ever passes through a shell.
  const result = await ssh.exec(`/opt/hearth/node/bin/node /opt/hearth/share/send-test-email.mjs ${shellQuote(to)}`, { quiet: true });
  if (result.code !== 0) {
    throw new HearthError(
      'NETWORK',
      result.stderr.trim().split('\n').pop() || 'The test email could not be sent.',
      'Check the mail server address, user and password. If the server cannot reach it, try port 465 (smtps://), 587 or 2525: many hosting providers block port 25.',
    );
  }
  return { response: result.stdout.trim().replace(/^Accepted by the mail server: /, '') };
}
