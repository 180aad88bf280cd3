import type { GatewayEnv } from '@gantry/config';
import type { ApiKeyLimits } from '@gantry/db';
import type { Limits } from './principal';

/** The gateway's defaults (users, and API keys that set nothing). */
export function defaultLimits(env: GatewayEnv): Limits {
  return {
    requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
    burst: env.RATE_LIMIT_BURST,
    tokensPerMinute: env.RATE_LIMIT_TOKENS_PER_MINUTE,
    maxConcurrentJobs: env.RATE_LIMIT_MAX_CONCURRENT_JOBS,
    allowedModels: null,
  };
}

/** A key's own limits, each falling back to the default when the key does not set it. */
export function limitsOfKey(key: ApiKeyLimits, defaults: Limits): Limits {
  return {
    requestsPerMinute: key.rate_limit_rpm ?? defaults.requestsPerMinute,
    burst: key.rate_limit_burst ?? defaults.burst,
    tokensPerMinute: key.rate_limit_tpm ?? defaults.tokensPerMinute,
    maxConcurrentJobs: key.max_concurrent_jobs ?? defaults.maxConcurrentJobs,
    allowedModels: key.allowed_models ?? defaults.allowedModels,
  };
}
