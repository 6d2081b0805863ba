import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './csp.ts';

const directive = (policy: string, name: string) => policy.split('; ').find((d) => d.startsWith(`${name} `));

describe('the window’s Content-Security-Policy', () => {
  it('lets post images come from any https PDS and the sandbox, and nothing else leave the app', () => {
    const policy = contentSecurityPolicy({ connectSrc: ['ws://127.0.0.1:4000'], header: true });
    expect(directive(policy, 'img-src')).toBe("img-src 'self' data: blob: https: http://127.0.0.1:* http://localhost:*");
    expect(directive(policy, 'script-src')).toBe("script-src 'self'");
    expect(directive(policy, 'style-src')).toBe("style-src 'self'");
    expect(directive(policy, 'connect-src')).toBe("connect-src 'self' ws://127.0.0.1:4000");
    expect(directive(policy, 'default-src')).toBe("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
  });

  it('has no frame-ancestors in a meta tag, where browsers ignore it', () => {
    expect(contentSecurityPolicy()).not.toContain('frame-ancestors');
  });
});
