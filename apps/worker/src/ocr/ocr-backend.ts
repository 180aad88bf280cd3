import type { OcrBlock, OcrRequest, Usage } from '@gantry/contracts';

/** One image to recognise: the gateway-normalised image (or a rendered PDF page) and the job's choices. */
export interface OcrInput {
  image: Buffer;
  width: number;
  height: number;
  request: OcrRequest;
  /** vLLM priority (lower runs earlier); undefined when not sent. */
  priority?: number;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface OcrOutput {
  model: string;
  text: string;
  blocks: OcrBlock[];
  raw?: string;
  usage?: Usage;
}

/** An OCR engine of the `deepseek-ocr` pool: DeepSeek-OCR on vLLM, or tesseract on the CPU. */
export abstract class OcrBackend {
  abstract readonly name: 'vllm' | 'tesseract';
  /** Where it runs, for events and logs. */
  abstract readonly location: string;
  abstract recognize(input: OcrInput): Promise<OcrOutput>;
  async close(): Promise<void> {}
}
