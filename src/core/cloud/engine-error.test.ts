import { describe, expect, it } from 'vitest';
import { engineError } from './stack-runner.ts';

describe('engine errors: a refused token is told from digits that happen to read 401', () => {
  it('takes DigitalOcean’s real authentication error as a bad token (in the message or a diagnostic)', () => {
    const godo = 'error: 1 error occurred:\n\t* Error creating droplet: POST https://api.digitalocean.com/v2/droplets: 401 (request "4f1c2a01-5b3e-4bd3-a401-0d6f0e7c9a11") Unable to authenticate you';
    expect(engineError(new Error(godo))).toMatchObject({ code: 'AUTH', message: 'DigitalOcean did not accept the token during the operation.' });
    expect(engineError(new Error('update failed'), ['GET https://api.digitalocean.com/v2/account: 401 (request "x")'])).toMatchObject({ code: 'AUTH' });
  });

  it('does not call a request id, a droplet id or a size with 401 in it a bad token', () => {
    const notAuth = [
      'error: Error creating droplet: POST https://api.digitalocean.com/v2/droplets: 422 (request "a401b2c3-0401-4401-8401-401401401401") You specified an invalid size for Droplet creation.',
      'error: waiting for droplet 340140155 to become active: timeout while waiting for state',
      'error: reserved IP 203.0.113.40: 404 (request "x") The resource you were accessing could not be found.',
    ];
    for (const text of notAuth) {
      const err = engineError(new Error(text));
      expect(err.code, text).toBe('INTERNAL');
      expect(err.message).toMatch(/^The Pulumi engine reported an error: /);
    }
  });
});
