import { gundamTiles, isOcrModel, ocrAnswer, ocrTokens, ocrVariant, visionTokens } from './ocr';

describe('simulated DeepSeek-OCR', () => {
  it.each([
    [512, 384, 64],
    [640, 480, 100],
    [1024, 768, 256],
    [1280, 960, 400],
  ])('charges a %i×%i image its mode’s %i vision tokens', (w, h, tokens) => {
    expect(visionTokens(w, h)).toBe(tokens);
  });

  it('charges gundam 256 for the global view plus 100 per 640 tile', () => {
    expect(gundamTiles(2000, 1000)).toBe(2); // 2:1
    expect(visionTokens(2000, 1000)).toBe(456);
    expect(gundamTiles(3000, 1000)).toBe(3); // 3:1
    expect(gundamTiles(1500, 2000)).toBe(6); // 3:4 → a 2×3 grid is the nearest allowed
    expect(visionTokens(1500, 2000)).toBe(856);
  });

  it('tells the prompt variants apart', () => {
    expect(ocrVariant('<|grounding|>Convert the document to markdown.')).toEqual({ variant: 'markdown' });
    expect(ocrVariant('<image>\nFree OCR.')).toEqual({ variant: 'free' });
    expect(ocrVariant('Parse the figure.')).toEqual({ variant: 'figure' });
    expect(ocrVariant('Locate <|ref|>the total<|/ref|> in the image.')).toEqual({ variant: 'locate', target: 'the total' });
    expect(ocrVariant('Describe this image.')).toEqual({ variant: 'other' });
  });

  it('answers markdown in grounding format with boxes in 0–999, the same way every time', () => {
    const image = { width: 100, height: 100, hash: 12345 };
    const a = ocrAnswer(image, 'markdown');
    expect(ocrAnswer(image, 'markdown')).toBe(a);
    const boxes = [...a.matchAll(/<\|ref\|>(\w+)<\|\/ref\|><\|det\|>\[\[(\d+), (\d+), (\d+), (\d+)\]\]<\|\/det\|>/g)];
    expect(boxes.length).toBeGreaterThanOrEqual(2);
    expect(boxes[0][1]).toBe('title');
    for (const b of boxes) {
      const [x1, y1, x2, y2] = b.slice(2).map(Number);
      expect(0 <= x1 && x1 < x2 && x2 <= 999 && 0 <= y1 && y1 < y2 && y2 <= 999).toBe(true);
    }
    expect(ocrAnswer({ ...image, hash: 54321 }, 'markdown')).not.toBe(a);
  });

  it('answers locate with the target and one box', () => {
    expect(ocrAnswer({ width: 1, height: 1, hash: 7 }, 'locate', 'Total')).toMatch(/^<\|ref\|>Total<\|\/ref\|><\|det\|>\[\[\d+, \d+, \d+, \d+\]\]<\|\/det\|>$/);
  });

  it('cuts an answer into tokens that join back into it', () => {
    const a = ocrAnswer({ width: 1, height: 1, hash: 99 }, 'markdown');
    expect(ocrTokens(a).join('')).toBe(a);
  });

  it('treats model ids naming OCR as OCR models', () => {
    expect(isOcrModel('deepseek-ai/DeepSeek-OCR')).toBe(true);
    expect(isOcrModel('gemma-3-4b-it')).toBe(false);
  });
});
