import { describe, expect, it } from 'vitest';
import { HearthError } from '../../shared/errors.ts';
import { checkEmail, checkHandle, checkPassword, generatePassword } from './validate.ts';

const refusal = (fn: () => unknown): HearthError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return err as HearthError;
  }
  throw new Error('expected a refusal');
};

describe('account input checks (before anything is sent)', () => {
  it('accepts a handle inside a handle domain, normalized to lower case', () => {
    expect(checkHandle(' Alice.Test ', ['.test'])).toBe('alice.test');
    expect(checkHandle('bob.pds.example.com', ['.pds.example.com', '.test'])).toBe('bob.pds.example.com');
  });

  it('refuses bad handles with a reason and a hint', () => {
    expect(refusal(() => checkHandle('not a handle', ['.test'])).message).toMatch(/not a valid handle/);
    expect(refusal(() => checkHandle('alice.example.com', ['.test'])).message).toMatch(/outside this server's handle domains \(\.test\)/);
    expect(refusal(() => checkHandle('a.b.test', ['.test'])).message).toMatch(/more than one name/);
    expect(refusal(() => checkHandle('al.test', ['.test'])).message).toMatch(/3 to 18/);
    expect(refusal(() => checkHandle('a-very-long-name-indeed.test', ['.test'])).message).toMatch(/3 to 18/);
    expect(refusal(() => checkHandle('<img>.test', ['.test'])).hint).not.toBe('');
  });

  it('checks emails and passwords', () => {
    expect(checkEmail(' a@example.com ')).toBe('a@example.com');
    expect(refusal(() => checkEmail('nope')).code).toBe('VALIDATION');
    expect(refusal(() => checkPassword('')).message).toBe('The password is empty.');
    expect(refusal(() => checkPassword('short')).message).toMatch(/too short/);
    expect(refusal(() => checkPassword('Password123')).message).toMatch(/too easy/);
    expect(refusal(() => checkPassword('aaaaaaaaaaaa')).message).toMatch(/too easy/);
    expect(checkPassword('correct horse battery')).toBe('correct horse battery');
  });

  it('generates 20-character passwords without look-alike characters, all different', () => {
    const many = Array.from({ length: 200 }, generatePassword);
    for (const p of many) expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
    expect(new Set(many).size).toBe(200);
  });
});
