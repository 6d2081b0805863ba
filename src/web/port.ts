import { HearthError } from '../shared/errors.ts';

/**
 * HEARTH_PORT as `npm run web` reads it: unset or empty for any free port, else a whole number
 * from 1 to 65535. Anything else stops the start with words instead of listening somewhere else.
 */
export function webPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const text = value.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new HearthError('VALIDATION', `HEARTH_PORT is "${text.slice(0, 40)}", not a port number.`, 'Set it to a number from 1 to 65535, or leave it unset and Hearth picks a free port.');
  }
  return port;
}
