import { describe, expect, it } from 'vitest';
import { webPort } from './port.ts';

describe('HEARTH_PORT', () => {
  it('is any free port when unset or empty, else the number given', () => {
    expect(webPort(undefined)).toBe(0);
    expect(webPort('')).toBe(0);
    expect(webPort(' 8080 ')).toBe(8080);
    expect(webPort('65535')).toBe(65535);
  });

  it('refuses what is not a port, naming the value and what to do', () => {
    for (const bad of ['abc', '0', '65536', '-1', '80.5', '0x50', '1e3', '80 81']) {
      expect(() => webPort(bad), bad).toThrow(/HEARTH_PORT .* not a port number/);
    }
  });
});
