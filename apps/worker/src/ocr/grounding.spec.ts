import { parseGrounding, toPixels } from './grounding';

describe('parseGrounding', () => {
  const raw =
    '<|ref|>title<|/ref|><|det|>[[100, 50, 899, 120]]<|/det|>\n# Annual Report\n\n' +
    '<|ref|>text<|/ref|><|det|>[[100, 150, 899, 400]]<|/det|>\nRevenue grew by 12%.\n\n' +
    '<|ref|>table<|/ref|><|det|>[[0, 500, 999, 999]]<|/det|>\n<table><tr><td>a</td></tr></table><｜end▁of▁sentence｜>';

  it('turns each region into a block with its label, text and pixel box on the original image', () => {
    const { blocks } = parseGrounding(raw, 2000, 1000);
    expect(blocks).toEqual([
      { label: 'title', text: '# Annual Report', box: [200, 50, 1800, 120] },
      { label: 'text', text: 'Revenue grew by 12%.', box: [200, 150, 1800, 400] },
      { label: 'table', text: '<table><tr><td>a</td></tr></table>', box: [0, 501, 2000, 1000] },
    ]);
  });

  it('returns the markdown without region tags or special tokens', () => {
    expect(parseGrounding(raw, 2000, 1000).text).toBe('# Annual Report\n\nRevenue grew by 12%.\n\n<table><tr><td>a</td></tr></table>');
  });

  it('gives one block per box when a region has several (locate answers)', () => {
    const { blocks, text } = parseGrounding('<|ref|>the cat<|/ref|><|det|>[[0, 0, 499, 499], [500, 500, 999, 999]]<|/det|>', 999, 999);
    expect(blocks).toEqual([
      { label: 'the cat', text: '', box: [0, 0, 499, 499] },
      { label: 'the cat', text: '', box: [500, 500, 999, 999] },
    ]);
    expect(text).toBe('');
  });

  it('keeps plain text (free OCR) as it is, with no blocks', () => {
    expect(parseGrounding('Hello world\nsecond line', 100, 100)).toEqual({ text: 'Hello world\nsecond line', blocks: [] });
  });

  it('skips a region whose box list is malformed but keeps the text', () => {
    const out = parseGrounding('<|ref|>text<|/ref|><|det|>[[1, 2, oops]]<|/det|>\nStill here', 100, 100);
    expect(out.blocks).toEqual([]);
    expect(out.text).toBe('Still here');
  });

  it('clamps coordinates to the image and orders corners', () => {
    expect(toPixels([1200, -5, 300, 999], 1000, 500)).toEqual([300, 0, 1000, 500]);
  });
});
