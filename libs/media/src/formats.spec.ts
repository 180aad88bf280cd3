import { headerDimensions, isAccepted, sniffFormat } from './formats';

const png = (w: number, h: number) => {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
};

/** SOI, an APP0 segment, then SOF0 declaring h × w. */
const jpeg = (w: number, h: number) =>
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x01, 0x01, 0x11, 0x00, 0xff, 0xd9]);

describe('sniffFormat', () => {
  it.each([
    ['jpeg', jpeg(1, 1)],
    ['png', png(1, 1)],
    ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
    ['webp', Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1')],
    ['tiff', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])],
    ['tiff', Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])],
    ['pdf', Buffer.from('%PDF-1.7\n')],
    ['pdf', Buffer.from('\n\n%PDF-1.4\n')],
    ['bmp', Buffer.concat([Buffer.from('BM'), Buffer.alloc(40)])],
    ['svg', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['svg', Buffer.from('\uFEFF  <svg width="1">')],
    ['heif', Buffer.from('\x00\x00\x00\x18ftypheic', 'latin1')],
    ['avif', Buffer.from('\x00\x00\x00\x1cftypavif', 'latin1')],
  ])('recognises %s from its bytes', (format, bytes) => {
    expect(sniffFormat(bytes)).toBe(format);
  });

  it('does not recognise text, HTML or empty input', () => {
    expect(sniffFormat(Buffer.from('just some notes'))).toBeNull();
    expect(sniffFormat(Buffer.from('<html><body>hi</body></html>'))).toBeNull();
    expect(sniffFormat(Buffer.alloc(0))).toBeNull();
  });

  it('accepts JPEG, PNG, WebP, TIFF, GIF and PDF only', () => {
    expect(['jpeg', 'png', 'webp', 'tiff', 'gif', 'pdf'].every((f) => isAccepted(f as never))).toBe(true);
    expect(['bmp', 'svg', 'heif', 'avif', 'ico'].some((f) => isAccepted(f as never))).toBe(false);
    expect(isAccepted(null)).toBe(false);
  });
});

describe('headerDimensions', () => {
  it('reads a PNG IHDR', () => {
    expect(headerDimensions(png(20000, 20000))).toEqual({ width: 20000, height: 20000 });
  });

  it('reads a JPEG frame header after other segments', () => {
    expect(headerDimensions(jpeg(1280, 960))).toEqual({ width: 1280, height: 960 });
  });

  it('gives null for other formats and cut headers', () => {
    expect(headerDimensions(Buffer.from('GIF89a'))).toBeNull();
    expect(headerDimensions(png(5, 5).subarray(0, 18))).toBeNull();
  });
});
