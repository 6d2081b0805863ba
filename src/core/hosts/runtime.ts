import { HearthError } from '../../shared/errors.ts';
import { RUNTIME_COMMANDS, type RuntimeAction } from './adopt.ts';
import type { HostDeps } from './host-deps.ts';

/** Status, restart or logs through the server's own runtime (systemd, or docker compose for an adopted install). */
export async function runtimeAction(deps: Pick<HostDeps, 'servers' | 'sessions'>, serverId: string, action: RuntimeAction): Promise<{ output: string }> {
  const server = deps.servers.get(serverId);
  if (!server.install) throw new HearthError('VALIDATION', `There is no PDS installed or adopted on ${server.name} yet.`, 'Install a PDS, or adopt the one already there.');
  const result = await (await deps.sessions.session(serverId)).exec(RUNTIME_COMMANDS[server.install.runtime][action], { quiet: true });
  const output = `${result.stdout}${result.stderr}`.trim().slice(-64_000);
  if (result.code !== 0) {
    const missingDocker = server.install.runtime === 'official' && /docker: (command )?not found/.test(output);
    throw new HearthError(
      'UNAVAILABLE',
      missingDocker ? 'Docker is not installed on this server, so its official PDS install cannot run.' : `The server could not ${action === 'logs' ? 'show the logs' : action === 'restart' ? 'restart the PDS' : 'report the services'}: ${output.split('\n').pop() ?? ''}`,
      missingDocker ? 'The official installer sets Docker up; run it again, or install the PDS with Hearth instead.' : 'See the output above and the server\'s system log.',
    );
  }
  return { output };
}
