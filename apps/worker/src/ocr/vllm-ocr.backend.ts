import { ocrPromptText, type OcrRequest } from '@gantry/contracts';
import { BackendError } from '../backend/backend-error';
import { VllmClient } from '../backend/vllm.client';
import { parseGrounding } from './grounding';
import { OcrBackend, type OcrInput, type OcrOutput } from './ocr-backend';
import { resizeForMode } from './ocr-image';

/** The n-gram logits processor's arguments, as DeepSeek-OCR's vLLM recipe sets them. */
export const NGRAM_XARGS = {
  ngram_size: 30,
  window_size: 90,
  // <td>, </td>: table cells legitimately repeat.
  whitelist_token_ids: [128821, 128822],
} as const;

export const OCR_DEFAULT_MAX_TOKENS = 4096;

/**
 * The `/v1/chat/completions` body DeepSeek-OCR expects on vLLM (served with
 * `--logits_processors vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor
 * --no-enable-prefix-caching --mm-processor-cache-gb 0`): the image part first, then the prompt;
 * greedy decoding; special tokens kept so grounding tags survive.
 */
export function deepseekOcrBody(opts: { model: string; imageDataUrl: string; request: OcrRequest; priority?: number }): Record<string, unknown> {
  const { request } = opts;
  const body: Record<string, unknown> = {
    model: opts.model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: opts.imageDataUrl } },
          { type: 'text', text: ocrPromptText(request.prompt, request.target) },
        ],
      },
    ],
    max_tokens: request.max_tokens ?? OCR_DEFAULT_MAX_TOKENS,
    temperature: 0,
    skip_special_tokens: false,
    vllm_xargs: { ...NGRAM_XARGS, whitelist_token_ids: [...NGRAM_XARGS.whitelist_token_ids] },
  };
  if (opts.priority !== undefined) body.priority = opts.priority;
  return body;
}

export class VllmOcrBackend extends OcrBackend {
  readonly name = 'vllm' as const;

  constructor(
    private readonly client: VllmClient,
    private readonly model: string,
  ) {
    super();
  }

  get location(): string {
    return this.client.baseUrl;
  }

  async recognize(input: OcrInput): Promise<OcrOutput> {
    let sent;
    try {
      sent = await resizeForMode(input.image, input.request.resolution);
    } catch (err) {
      throw BackendError.internal('invalid_input', `image cannot be prepared: ${err instanceof Error ? err.message : String(err)}`, false, err);
    }
    const body = deepseekOcrBody({
      model: this.model,
      imageDataUrl: `data:${sent.mime};base64,${sent.data.toString('base64')}`,
      request: input.request,
      priority: input.priority,
    });
    const completion = await this.client.completeRaw(body, { model: this.model, signal: input.signal, timeoutMs: input.timeoutMs });
    const raw = completion.choices?.[0]?.message?.content ?? '';
    // Boxes are fractions of the image the model saw, which has the original's proportions.
    const parsed = parseGrounding(raw, input.width, input.height);
    return {
      model: completion.model ?? this.model,
      text: parsed.text,
      blocks: parsed.blocks,
      raw,
      usage: completion.usage,
    };
  }
}
