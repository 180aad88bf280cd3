import OpenAI from 'openai';
import type { RunningGateway } from '../apps/gateway/src/gateway.bootstrap';
import { postJson } from './support/http';
import { createStack, type TestStack } from './support/stack';

/** `GET /v1/models` and `/v1/models/{id}` through the official `openai` package. */
describe('OpenAI-compatible models list', () => {
  let stack: TestStack;
  let gw: RunningGateway;
  const client = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
  const token = (clientId: string) => stack.auth(clientId).authorization.replace(/^Bearer /, '');

  beforeAll(async () => {
    stack = await createStack();
    gw = await stack.startGateway();
  });
  afterAll(() => stack?.stop());

  it('lists the served models and retrieves each, slash in the id included', async () => {
    const models = [];
    for await (const m of client(token('models-app')).models.list()) models.push(m);
    expect(models.map((m) => m.id)).toEqual(['gemma-3-4b-it', 'deepseek-ai/DeepSeek-OCR']);
    expect(models[0]).toEqual({ id: 'gemma-3-4b-it', object: 'model', created: expect.any(Number), owned_by: 'gantry' });

    expect((await client(token('models-app')).models.retrieve('gemma-3-4b-it')).id).toBe('gemma-3-4b-it');
    expect((await client(token('models-app')).models.retrieve('deepseek-ai/DeepSeek-OCR')).id).toBe('deepseek-ai/DeepSeek-OCR');
    // Accepted aliases name the model they stand for.
    expect((await client(token('models-app')).models.retrieve('gemma')).id).toBe('gemma-3-4b-it');
  });

  it('answers an unknown model with OpenAI\'s 404 error shape', async () => {
    const err = await client(token('models-app')).models.retrieve('gpt-4o').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('shows an API key only the models it may use', async () => {
    const created = await postJson(gw.url, '/admin/api-keys', { client_id: 'models-app', service_name: 'ocr-only', allowed_models: ['deepseek-ocr'] }, stack.adminAuth());
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const models = [];
    for await (const m of client(key).models.list()) models.push(m.id);
    expect(models).toEqual(['deepseek-ai/DeepSeek-OCR']);
    await expect(client(key).models.retrieve('gemma-3-4b-it')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses a caller without credentials', async () => {
    await expect(client('not-a-key').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
