import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Hearth keeps its files when not under Electron (which passes its userData folder):
 * HEARTH_HOME (tests, several instances side by side), else $XDG_CONFIG_HOME/hearth, else
 * ~/.config/hearth.
 */
export function webDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEARTH_HOME) return env.HEARTH_HOME;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'hearth');
}
