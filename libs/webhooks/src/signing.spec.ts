import { Webhook } from 'standardwebhooks';
import { generateSecret, sign, signatureHeaders, verify } from './signing';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ type: 'job.completed', data: { request_id: 'r1' } });

  it('produces signatures the standardwebhooks library accepts', () => {
    const secret = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders([secret], 'msg_1', ts, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every active secret during a rotation', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const headers = signatureHeaders([a, b], 'msg_2', 1_700_000_000, body);
    expect(headers['webhook-signature'].split(' ')).toEqual([sign(a, 'msg_2', 1_700_000_000, body), sign(b, 'msg_2', 1_700_000_000, body)]);
    expect(verify(a, headers, body)).toBe(true);
    expect(verify(b, headers, body)).toBe(true);
    expect(verify(generateSecret(), headers, body)).toBe(false);
  });

  it('fails verification when the body changes', () => {
    const secret = generateSecret();
    const headers = signatureHeaders([secret], 'msg_3', 1_700_000_000, body);
    expect(verify(secret, headers, body.replace('r1', 'r2'))).toBe(false);
  });
});
