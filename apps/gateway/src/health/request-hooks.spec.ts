import { requestLabels } from './request-hooks';

const vendorOf = (pool: string) => (pool === 'deepseek-ocr' ? 'tesseract' : 'vllm');

describe('requestLabels', () => {
  it('names the served model and its engine for a known model or alias', () => {
    expect(requestLabels({ model: 'gemma' }, vendorOf)).toEqual({ vendor: 'vllm', model: 'gemma-3-4b-it' });
    expect(requestLabels({ model: 'deepseek-ocr' }, vendorOf)).toEqual({ vendor: 'tesseract', model: 'deepseek-ai/DeepSeek-OCR' });
  });

  it('keeps client-chosen unknown names out of the labels', () => {
    expect(requestLabels({ model: 'gpt-4' }, vendorOf)).toEqual({ vendor: 'gantry', model: '' });
    expect(requestLabels({ model: 42 }, vendorOf)).toEqual({ vendor: 'gantry', model: '' });
    expect(requestLabels(undefined, vendorOf)).toEqual({ vendor: 'gantry', model: '' });
    expect(requestLabels('text', vendorOf)).toEqual({ vendor: 'gantry', model: '' });
  });
});
