/**
 * File type from the bytes themselves (never from a name or a declared type): the first gate of
 * every upload, and the way the simulator reads an image's size without decoding it.
 */
export type AcceptedFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'pdf';
export type KnownFormat = AcceptedFormat | 'bmp' | 'svg' | 'heif' | 'avif' | 'ico' | 'jp2' | 'jxl';

export const ACCEPTED_FORMATS: readonly AcceptedFormat[] = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'pdf'];

export const MIME_OF: Record<KnownFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tiff: 'image/tiff',
  gif: 'image/gif',
  pdf: 'application/pdf',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  heif: 'image/heic',
  avif: 'image/avif',
  ico: 'image/x-icon',
  jp2: 'image/jp2',
  jxl: 'image/jxl',
};

const startsWith = (b: Buffer, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Buffer, from: number, to: number) => b.subarray(from, Math.min(to, b.length)).toString('latin1');

/** The format the bytes are in, or null when they are no image or PDF we know. */
export function sniffFormat(b: Buffer): KnownFormat | null {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // The PDF header may follow a little junk (the spec allows it within the first 1024 bytes).
  if (ascii(b, 0, 1024).includes('%PDF-')) return 'pdf';
  if (ascii(b, 0, 2) === 'BM' && b.length >= 26) return 'bmp';
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  if (startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jxl';
  const head = ascii(b, 0, 1024).replace(/^\xEF\xBB\xBF/, '').trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'svg';
  return null;
}

export function isAccepted(format: KnownFormat | null): format is AcceptedFormat {
  return format !== null && (ACCEPTED_FORMATS as readonly string[]).includes(format);
}

/** Width and height from a PNG or JPEG header, without decoding; null for other or broken input. */
export function headerDimensions(b: Buffer): { width: number; height: number } | null {
  const format = sniffFormat(b);
  if (format === 'png' && b.length >= 24 && ascii(b, 12, 16) === 'IHDR') return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (format === 'jpeg') {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1];
      if (marker === 0xff) {
        i++;
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      // SOF0..SOF15 carry the frame size (C4 DHT, C8 JPG and CC DAC are not frames).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      }
      i += 2 + len;
    }
  }
  return null;
}
