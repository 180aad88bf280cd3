import { AllowList, assertSafeUrl, guardedLookup, isPublicAddress, SsrfError } from './ssrf';

describe('isPublicAddress', () => {
  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '224.0.0.1', '::7f00:1', '::127.0.0.1', '::a00:1', '::8.8.8.8'])(
    'refuses %s',
    (ip) => expect(isPublicAddress(ip)).toBe(false),
  );
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('accepts %s', (ip) => expect(isPublicAddress(ip)).toBe(true));
});

describe('assertSafeUrl', () => {
  const none = new AllowList([]);
  const resolveTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('normalises decimal IPv4 hosts before checking them', async () => {
    await expect(assertSafeUrl('http://2130706433/x', none)).rejects.toMatchObject({ code: 'webhook_url_forbidden' });
  });

  it('refuses IPv4-compatible IPv6 hosts (::/96)', async () => {
    for (const url of ['http://[::127.0.0.1]/x', 'http://[::7f00:1]/x', 'http://[::a9fe:a9fe]/x']) {
      await expect(assertSafeUrl(url, none)).rejects.toMatchObject({ code: 'webhook_url_forbidden' });
    }
  });

  it('refuses a name when any of its addresses is private', async () => {
    await expect(assertSafeUrl('https://mixed.example/x', none, resolveTo('8.8.8.8', '10.0.0.7'))).rejects.toMatchObject({ code: 'webhook_url_forbidden' });
  });

  it('accepts a name that resolves only to public addresses', async () => {
    await expect(assertSafeUrl('https://public.example/x', none, resolveTo('8.8.8.8'))).resolves.toBeInstanceOf(URL);
  });

  it('lets an allow-listed address, CIDR or host through', async () => {
    await expect(assertSafeUrl('http://127.0.0.1:9/x', new AllowList(['127.0.0.1']))).resolves.toBeInstanceOf(URL);
    await expect(assertSafeUrl('http://10.1.2.3/x', new AllowList(['10.0.0.0/8']))).resolves.toBeInstanceOf(URL);
    await expect(assertSafeUrl('http://dev.internal/x', new AllowList(['dev.internal']), resolveTo('10.0.0.2'))).resolves.toBeInstanceOf(URL);
  });

  it('reports unresolvable hosts and invalid URLs with their own codes', async () => {
    await expect(assertSafeUrl('http://nowhere.invalid/x', none, async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toMatchObject({ code: 'webhook_host_unresolvable' });
    await expect(assertSafeUrl('gopher://x', none)).rejects.toMatchObject({ code: 'webhook_url_invalid' });
    await expect(assertSafeUrl('http://a:b@example.com', none)).rejects.toMatchObject({ code: 'webhook_url_invalid' });
  });
});

describe('guardedLookup (the check at send time)', () => {
  const lookupOf = (resolveTo: string, allow = new AllowList([])) =>
    new Promise<{ err: Error | null; address: unknown }>((done) =>
      guardedLookup(allow, async () => [{ address: resolveTo, family: resolveTo.includes(':') ? 6 : 4 }])('hooks.example', {}, (err, address) => done({ err, address })),
    );

  it('refuses a host that was public at registration and now resolves to a private address', async () => {
    // Registration saw a public address...
    await expect(assertSafeUrl('https://hooks.example/x', new AllowList([]), async () => [{ address: '8.8.8.8', family: 4 }])).resolves.toBeInstanceOf(URL);
    // ...the socket's own lookup sees the rebound one.
    const { err } = await lookupOf('10.0.0.7');
    expect(err).toBeInstanceOf(SsrfError);
    expect((err as SsrfError).code).toBe('webhook_url_forbidden');
  });

  it('passes public and allow-listed addresses to the socket', async () => {
    expect(await lookupOf('8.8.8.8')).toEqual({ err: null, address: '8.8.8.8' });
    expect(await lookupOf('127.0.0.1', new AllowList(['127.0.0.1']))).toEqual({ err: null, address: '127.0.0.1' });
  });
});
