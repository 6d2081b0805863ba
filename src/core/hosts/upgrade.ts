import { z } from 'zod';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/index.ts';
import { throwIfCancelled } from '../jobs/index.ts';
import { INSTALLER, waitForHttps, writeIfChanged } from './install.ts';
import type { ResolveAddresses } from './resolve.ts';
import type { SshSession } from './ssh/index.ts';
import { missingDefaults } from './pds-env.ts';
import type { HostFiles } from './templates.ts';

const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The version the active symlink points at (/opt/hearth/pds → pds-<version>). */
export async function installedVersion(ssh: SshSession): Promise<string | null> {
  const target = (await ssh.exec('readlink /opt/hearth/pds', { quiet: true })).stdout.trim();
  const version = target.replace(/^pds-/, '');
  return VERSION.test(version) ? version : null;
}

/** The newest @atproto/pds on the npm registry. */
export async function latestVersion(signal?: AbortSignal): Promise<string> {
  const res = await fetch('https://registry.npmjs.org/@atproto/pds/latest', { ...(signal && { signal }) });
  const parsed = z.object({ version: z.string().regex(VERSION) }).safeParse(await res.json().catch(() => null));
  if (!res.ok || !parsed.success) throw new HearthError('NETWORK', 'Could not ask the npm registry for the latest PDS version.', 'Check this computer\'s internet connection and try again.');
  return parsed.data.version;
}

/**
 * Upgrade = new version installed beside the old one → PDS stopped → consistent snapshot of
 * every SQLite database → switch → start → health check. Any failure after the switch puts the
 * old version and the snapshot back and starts it again, so the server ends healthy either way.
 */
export async function upgradePds(
  ssh: SshSession,
  plan: { target: string; pdsPort: number; url: string; resolve: ResolveAddresses; ca: string | null; files: HostFiles },
  ctx: JobContext,
): Promise<{ from: string; to: string }> {
  if (!VERSION.test(plan.target)) throw new HearthError('VALIDATION', `${plan.target} is not a PDS version.`, 'Pick a version like 0.5.35.');
  const installer = (args: string, what: string) => ssh.run(`bash ${INSTALLER} ${args}`, { ctx, what });
  const from = await installedVersion(ssh);
  if (!from) throw new HearthError('NOT_FOUND', 'Hearth did not install the PDS on this server, so it cannot upgrade it here.', 'Adopted servers upgrade through their own runtime.');
  if (from === plan.target) {
    ctx.log(`The PDS is already at ${from}.`);
    return { from, to: from };
  }
  const snapshot = `/var/backups/hearth/upgrade-${from}-to-${plan.target}-${Date.now()}`;
  const steps: [string, () => Promise<unknown>][] = [
    ["Upload Hearth's installer", async () => writeIfChanged(ssh, INSTALLER, await plan.files.read('pds-install.sh'), 0o755)],
    // What the installer installs grew (jq and column for the official pdsadmin): a server an older
    // Hearth set up gets them here.
    ['Install missing system packages', () => installer('packages', 'Installing system packages')],
    ['Bring pds.env up to date', () => addMissingDefaults(ssh, plan.files, ctx)],
    [`Install the PDS ${plan.target} beside ${from}`, () => installer(`app ${plan.target}`, `Installing the PDS ${plan.target}`)],
    ['Stop the PDS', () => installer('stop', 'Stopping the PDS')],
    ['Snapshot the databases', () => installer(`snapshot ${snapshot}`, 'Taking the snapshot')],
  ];
  const switchSteps: [string, () => Promise<unknown>][] = [
    [`Switch to ${plan.target}`, () => installer(`activate ${plan.target}`, 'Switching versions')],
    ['Start the PDS', () => installer('services restart', 'Starting the PDS')],
    ['Check that it answers', () => installer(`wait-health ${plan.pdsPort} 60`, 'Waiting for the PDS')],
    [
      `Check ${plan.url} over HTTPS`,
      async () => {
        const version = await waitForHttps(plan.url, { resolve: plan.resolve, ...(plan.ca && { ca: plan.ca }) }, ctx, 20);
        if (version !== plan.target) throw new HearthError('UNAVAILABLE', `The PDS reports version ${version}, not ${plan.target}.`, '');
      },
    ],
  ];
  const total = steps.length + switchSteps.length;
  let index = 0;
  const runStep = async ([title, run]: [string, () => Promise<unknown>]) => {
    throwIfCancelled(ctx.signal);
    ctx.progress(index / total, title);
    ctx.log(`Step ${index + 1}/${total}: ${title}`);
    const started = performance.now();
    await run();
    ctx.log(`Step ${index + 1}/${total} done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${title}`);
    index++;
  };
  try {
    for (const step of steps) await runStep(step);
  } catch (err) {
    // Nothing was switched yet: make sure the old version runs.
    await ssh.exec(`bash ${INSTALLER} services`, { ctx }).catch(() => undefined);
    throw err;
  }
  try {
    for (const step of switchSteps) await runStep(step);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    ctx.log(`The upgrade failed (${reason}). Rolling back to ${from} with the databases as they were.`, 'warn');
    ctx.progress(0.9, `Roll back to ${from}`);
    // The rollback must finish even if the user cancelled the upgrade.
    const rollback = { ctx: { ...ctx, signal: new AbortController().signal } };
    await ssh.run(`bash ${INSTALLER} stop && bash ${INSTALLER} restore ${snapshot} && bash ${INSTALLER} services restart && bash ${INSTALLER} wait-health ${plan.pdsPort} 120`, {
      ...rollback,
      what: 'Rolling back',
    });
    ctx.log(`Rolled back: the PDS runs ${from} again.`);
    throw new HearthError(
      'UNAVAILABLE',
      `The PDS ${plan.target} did not start properly, so Hearth went back to ${from} with the data exactly as before the upgrade.`,
      `Nothing was lost. The snapshot stays on the server in ${snapshot}. See the job log for what failed.`,
    );
  }
  ctx.progress(1, `Upgraded to ${plan.target}`);
  return { from, to: plan.target };
}

/**
 * Appends the template's fixed settings pds.env lacks (the PDS reads them at the restart that
 * follows). Values already there, secrets included, are never rewritten: the file is only read
 * here and the new lines, all constants of the template, are appended.
 */
async function addMissingDefaults(ssh: SshSession, files: HostFiles, ctx: JobContext): Promise<void> {
  const current = await ssh.readFile('/pds/pds.env', { signal: ctx.signal });
  if (!current) throw new HearthError('NOT_FOUND', 'The server has no /pds/pds.env, so the PDS cannot start after the upgrade.', 'Run the install again from the Servers screen: it writes the settings and keeps the data.');
  const text = current.toString('utf8');
  const lines = missingDefaults(await files.read('pds.env.template'), text);
  if (!lines.length) {
    ctx.log('pds.env already has every setting the official installer writes.');
    return;
  }
  const updated = `${text}${text.endsWith('\n') ? '' : '\n'}# Added by Hearth's upgrade (the official installer writes these).\n${lines.join('\n')}\n`;
  await writeIfChanged(ssh, '/pds/pds.env', updated, 0o600);
  ctx.log(`Added to pds.env: ${lines.join(', ')}.`);
}
