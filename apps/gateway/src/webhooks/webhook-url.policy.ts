import { AllowList, assertSafeUrl, SsrfError } from '@gantry/webhooks';
import { ApiError, ApiErrorCode } from '../errors/api-error';

/** Checks webhook URLs at registration and submit (the webhooks app checks again at send). */
export class WebhookUrlPolicy {
  constructor(private readonly allow: AllowList) {}

  async check(url: string): Promise<void> {
    try {
      await assertSafeUrl(url, this.allow);
    } catch (err) {
      if (!(err instanceof SsrfError)) throw err;
      throw new ApiError(err.code === 'webhook_url_forbidden' ? ApiErrorCode.WebhookUrlForbidden : ApiErrorCode.WebhookUrlInvalid, err.message);
    }
  }
}
