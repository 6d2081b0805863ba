import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateSshKey } from './keys.ts';

describe('generateSshKey', () => {
  it('only ever hands out keys that ssh2 can read back, private and public (its generator alone fails about 1 in 256)', () => {
    for (let i = 0; i < 1500; i++) {
      const pair = generateSshKey(`hearth@new-vps-${i.toString(16).padStart(6, '0')}`);
      const parsed = ssh2.utils.parseKey(pair.privateKey);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      expect(key instanceof Error ? key.message : key?.type).toBe('ssh-ed25519');
      const pub = ssh2.utils.parseKey(pair.publicKey);
      expect(pub instanceof Error ? pub.message : (Array.isArray(pub) ? pub[0] : pub)?.type).toBe('ssh-ed25519');
      expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ hearth@new-vps-/);
    }
  });
});
