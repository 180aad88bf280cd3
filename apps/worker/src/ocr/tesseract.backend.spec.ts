import { locateWords } from './tesseract.backend';

const word = (text: string, x0: number) => ({ text, bbox: { x0, y0: 10, x1: x0 + 50, y1: 30 } });

describe('locateWords', () => {
  const lines = [{ words: [word('Invoice', 0), word('due', 60), word('date:', 120), word('May', 180)] }, { words: [word('Due', 0), word('Date', 60)] }];

  it('finds a phrase across words, ignoring case and punctuation, with the run’s box', () => {
    expect(locateWords(lines, 'due date', 1)).toEqual([
      { label: 'due date', text: 'due date:', box: [60, 10, 170, 30] },
      { label: 'due date', text: 'Due Date', box: [0, 10, 110, 30] },
    ]);
  });

  it('scales boxes back to the original when the image was shrunk', () => {
    expect(locateWords(lines, 'May', 2)[0].box).toEqual([360, 20, 460, 60]);
  });

  it('finds nothing for an absent or empty target', () => {
    expect(locateWords(lines, 'total', 1)).toEqual([]);
    expect(locateWords(lines, ' .. ', 1)).toEqual([]);
  });
});
