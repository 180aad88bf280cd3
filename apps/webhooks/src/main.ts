import { runProcess } from '@gantry/common';
import { loadEnv, WebhooksEnv } from '@gantry/config';
import { bootstrapWebhooks } from './webhooks.bootstrap';

const env = loadEnv(WebhooksEnv);
runProcess('webhooks', env.LOG_LEVEL, async (logger) => ({ running: await bootstrapWebhooks(env, logger), started: { concurrency: env.WEBHOOK_CONCURRENCY } }));
