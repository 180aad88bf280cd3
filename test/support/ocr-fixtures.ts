import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A white PNG with black text lines drawn by sharp (librsvg), one line every `lineHeight` px. */
export async function textImage(lines: string[], opts: { width?: number; height?: number; fontSize?: number; lineHeight?: number } = {}): Promise<Buffer> {
  const { width = 900, fontSize = 48, lineHeight = 80 } = opts;
  const height = opts.height ?? 80 + lines.length * lineHeight;
  const text = lines
    .map((l, i) => `<text x="40" y="${90 + i * lineHeight}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" fill="black">${l}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A minimal valid PDF with one Helvetica text line per page (hand-written, offsets computed). */
export function makePdf(pages: string[], { width = 612, height = 792, size = 36 } = {}): Buffer {
  const objs: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  pages.forEach((text, i) => {
    const stream = `BT /F1 ${size} Tf 72 ${height - 144} Td (${text.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj ET`;
    objs[4 + i * 2] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`;
    objs[5 + i * 2] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  });
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objs.length; id++) {
    offsets[id] = Buffer.byteLength(out);
    out += `${id} 0 obj\n${objs[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objs.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objs.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A decompression bomb in miniature: a few hundred bytes of well-formed PNG whose header declares
 * `width × height` (8-bit grey), with a tiny compressed row of data.
 */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + Math.min(width, 1024)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 2×2 24-bit BMP (a format Gantry does not take). */
export function bmp(): Buffer {
  const rowSize = 8; // 2 px × 3 bytes, padded to 4
  const pixels = Buffer.alloc(rowSize * 2, 0xff);
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(2, 18);
  header.writeInt32LE(2, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(pixels.length, 34);
  return Buffer.concat([header, pixels]);
}

export interface OcrAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** `POST /api/ocr` with the reference JSON shape (the file as a data URL). */
export async function submitOcrJson(
  baseUrl: string,
  file: { bytes: Buffer; type: string } | null,
  prompt: string | null,
  headers: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<OcrAnswer> {
  const content: unknown[] = [];
  if (file) content.push({ type: 'image_url', image_url: { url: `data:${file.type};base64,${file.bytes.toString('base64')}` } });
  if (prompt !== null) content.push({ type: 'text', text: prompt });
  const body = { model: 'deepseek-ai/DeepSeek-OCR', messages: [{ role: 'user', content }], ...extra };
  return postJson(baseUrl, JSON.stringify(body), headers);
}

export async function postJson(baseUrl: string, body: string, headers: Record<string, string>): Promise<OcrAnswer> {
  const res = await fetch(`${baseUrl}/api/ocr`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** `POST /api/ocr` as `curl -F file=@name -F prompt=…` sends it. */
export async function submitOcrMultipart(
  baseUrl: string,
  file: { bytes: Buffer; type: string; name: string },
  fields: Record<string, string>,
  headers: Record<string, string>,
): Promise<OcrAnswer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file.bytes], { type: file.type }), file.name);
  const res = await fetch(`${baseUrl}/api/ocr`, { method: 'POST', headers, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
