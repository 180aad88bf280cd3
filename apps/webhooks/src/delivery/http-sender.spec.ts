import { AllowList } from '@gantry/webhooks';
import { postWebhook } from './http-sender';

describe('postWebhook', () => {
  it('refuses at send time a host that now resolves to a private address (DNS rebinding)', async () => {
    // The URL passed the registration check; at send time the name resolves to loopback. The
    // guard refuses before any socket opens (forbidden, so it is not retried).
    const rebound = async () => [{ address: '127.0.0.1', family: 4 }];
    const result = await postWebhook(new URL('http://hooks.example:9/x'), '{}', {}, new AllowList([]), 2_000, rebound);
    expect(result.forbidden).toBe(true);
    expect(result.status).toBeUndefined();
    expect(result.error).toContain('non-public address (127.0.0.1)');
  });
});
