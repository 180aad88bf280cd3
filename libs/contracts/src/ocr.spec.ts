import { InvalidMessageError, JobMessageDto, parseMessage } from './validation';
import { ocrPromptText, parseOcrPrompt } from './ocr';

describe('parseOcrPrompt', () => {
  it.each([
    ['', { prompt: 'markdown' }],
    ['<image>\n<|grounding|>Convert the document to markdown.', { prompt: 'markdown' }],
    ['Convert the document to markdown', { prompt: 'markdown' }],
    ['Free OCR.', { prompt: 'free' }],
    ['<image>\nFree OCR.', { prompt: 'free' }],
    ['Parse the figure.', { prompt: 'figure' }],
    ['free', { prompt: 'free' }],
    ['MARKDOWN', { prompt: 'markdown' }],
    ['<image>\nLocate <|ref|>the red car<|/ref|> in the image.', { prompt: 'locate', target: 'the red car' }],
  ])('reads %j', (text, expected) => {
    expect(parseOcrPrompt(text)).toEqual(expected);
  });

  it.each(['Write a poem', 'locate', 'Locate <|ref|><|/ref|> in the image.', `Locate <|ref|>${'x'.repeat(201)}<|/ref|> in the image.`])('refuses %j', (text) => {
    expect(parseOcrPrompt(text)).toBeNull();
  });

  it('writes each variant as DeepSeek-OCR expects it (vLLM adds the <image> placeholder)', () => {
    expect(ocrPromptText('markdown')).toBe('<|grounding|>Convert the document to markdown.');
    expect(ocrPromptText('free')).toBe('Free OCR.');
    expect(ocrPromptText('figure')).toBe('Parse the figure.');
    expect(ocrPromptText('locate', 'total')).toBe('Locate <|ref|>total<|/ref|> in the image.');
  });
});

describe('JobMessageDto validates `request` by kind', () => {
  const base = {
    schema: 1,
    request_id: '5b0c4f7e-6f7a-4c1e-9a51-0d6f3e0b8a11',
    client_id: 'c',
    pool: 'deepseek-ocr',
    model: 'deepseek-ai/DeepSeek-OCR',
    priority: 'normal',
    created_at: '2024-01-01T00:00:00.000Z',
  };
  const ocr = {
    model: 'deepseek-ai/DeepSeek-OCR',
    blob: { id: '0e6f3c5a-1f1d-4c47-8a55-6a1b2c3d4e5f', sha256: 'a'.repeat(64), content_type: 'image/png', size: 10 },
    resolution: 'large',
    resolution_source: 'header',
    prompt: 'markdown',
  };
  const reasons = (value: unknown) => {
    try {
      parseMessage(JobMessageDto, value);
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidMessageError);
      return (err as InvalidMessageError).reasons;
    }
  };

  it('accepts an OCR job with a claim-check and a chat job as before', () => {
    expect(reasons({ ...base, kind: 'ocr', request: ocr })).toEqual([]);
    expect(reasons({ ...base, kind: 'ocr', request: { ...ocr, document: { parent_id: base.request_id, page: 2, pages: 3 } } })).toEqual([]);
    expect(reasons({ ...base, pool: 'gemma', model: 'gemma-3-4b-it', kind: 'chat', request: { model: 'gemma', messages: [{ role: 'user', content: 'hi' }] } })).toEqual([]);
  });

  it('refuses a chat body on an OCR job and an OCR body on a chat job', () => {
    expect(reasons({ ...base, kind: 'ocr', request: { model: 'gemma', messages: [{ role: 'user', content: 'hi' }] } }).join(' ')).toContain('request.blob');
    expect(reasons({ ...base, kind: 'chat', request: ocr }).join(' ')).toContain('request.messages');
  });

  it('refuses a bad digest, resolution, locate without target, or unknown kind', () => {
    expect(reasons({ ...base, kind: 'ocr', request: { ...ocr, blob: { ...ocr.blob, sha256: 'xyz' } } }).join(' ')).toContain('sha256');
    expect(reasons({ ...base, kind: 'ocr', request: { ...ocr, resolution: 'huge' } }).join(' ')).toContain('request.resolution');
    expect(reasons({ ...base, kind: 'ocr', request: { ...ocr, prompt: 'locate' } }).join(' ')).toContain('request.target');
    expect(reasons({ ...base, kind: 'video', request: ocr }).join(' ')).toContain('kind');
  });
});
