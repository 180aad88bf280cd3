import { deepseekOcrBody } from './vllm-ocr.backend';

describe('deepseekOcrBody', () => {
  const request = {
    model: 'deepseek-ai/DeepSeek-OCR',
    blob: { id: 'b', sha256: 'a'.repeat(64), content_type: 'image/png', size: 1 },
    resolution: 'base' as const,
    resolution_source: 'header' as const,
    prompt: 'locate' as const,
    target: 'the stamp',
  };

  it('is the vLLM recipe: image part, then prompt; greedy; special tokens kept; n-gram processor args', () => {
    expect(deepseekOcrBody({ model: 'deepseek-ai/DeepSeek-OCR', imageDataUrl: 'data:image/png;base64,AAAA', request, priority: 0 })).toEqual({
      model: 'deepseek-ai/DeepSeek-OCR',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: 'Locate <|ref|>the stamp<|/ref|> in the image.' },
          ],
        },
      ],
      max_tokens: 4096,
      temperature: 0,
      skip_special_tokens: false,
      vllm_xargs: { ngram_size: 30, window_size: 90, whitelist_token_ids: [128821, 128822] },
      priority: 0,
    });
  });

  it('leaves priority out when it is not sent, and honours max_tokens', () => {
    const body = deepseekOcrBody({ model: 'm', imageDataUrl: 'data:,', request: { ...request, prompt: 'free', max_tokens: 100 } });
    expect(body).not.toHaveProperty('priority');
    expect(body.max_tokens).toBe(100);
  });
});
