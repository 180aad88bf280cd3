import { signAccessToken, verifyAccessToken, type AccessClaims } from './jwt';

const SECRET = 's'.repeat(32);
const claims = (over: Partial<AccessClaims> = {}): AccessClaims => ({ iss: 'gantry', typ: 'access', sub: 'u', role: 'client', cid: 'acme', iat: 1000, exp: 2000, ...over });

describe('HS256 access tokens', () => {
  it('verifies what it signed before expiry', () => {
    expect(verifyAccessToken(signAccessToken(claims(), SECRET), [SECRET], 1500)).toEqual({ ok: true, claims: claims() });
  });

  it('refuses at and after exp', () => {
    expect(verifyAccessToken(signAccessToken(claims(), SECRET), [SECRET], 2000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts the previous secret during a rotation, and nothing else', () => {
    const old = 'o'.repeat(32);
    const token = signAccessToken(claims(), old);
    expect(verifyAccessToken(token, [SECRET, old], 1500).ok).toBe(true);
    expect(verifyAccessToken(token, [SECRET], 1500)).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses alg none and other algorithms even with a valid-looking body', () => {
    const body = Buffer.from(JSON.stringify(claims())).toString('base64url');
    for (const alg of ['none', 'HS512', 'RS256']) {
      const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
      expect(verifyAccessToken(`${header}.${body}.AAAA`, [SECRET], 1500)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses a token whose claims were changed after signing', () => {
    const [h, , s] = signAccessToken(claims(), SECRET).split('.');
    const forged = Buffer.from(JSON.stringify(claims({ role: 'admin' }))).toString('base64url');
    expect(verifyAccessToken(`${h}.${forged}.${s}`, [SECRET], 1500)).toEqual({ ok: false, reason: 'signature' });
  });

  it.each([
    ['a refresh-type token', { typ: 'refresh' as 'access' }],
    ['an unknown role', { role: 'root' as 'admin' }],
    ['a client token without cid', { cid: undefined }],
    ['another issuer', { iss: 'other' as 'gantry' }],
  ])('refuses %s', (_name, over) => {
    expect(verifyAccessToken(signAccessToken(claims(over), SECRET), [SECRET], 1500)).toEqual({ ok: false, reason: 'claims' });
  });

  it.each(['', 'a.b', 'a.b.c.d', 'not base64!.x.y', '..'])('refuses malformed %j', (token) => {
    expect(verifyAccessToken(token, [SECRET], 1500)).toEqual({ ok: false, reason: 'malformed' });
  });
});
