import sharp from 'sharp';
import { OCR_MODE_SPECS, type OcrResolution } from '@gantry/contracts';

export interface OcrImage {
  data: Buffer;
  width: number;
  height: number;
  mime: 'image/png' | 'image/jpeg';
}

/** The gateway normalised every image; this limit only guards against a corrupt blob. */
const MAX_PIXELS = 268_402_689;

export async function imageSize(bytes: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no dimensions');
  return { width: meta.width, height: meta.height };
}

/**
 * The image as the mode sends it to DeepSeek-OCR: scaled (never padded or cropped, so grounding
 * fractions map straight back to the original) until the longest side is the mode's size — tiny
 * 512, small 640, base 1024, large 1280. Gundam keeps the image (up to 6 tiles of 640 across) and
 * leaves the 640-tile + 1024-global-view split to vLLM's DeepSeek-OCR processor, which crops that
 * way itself. Smaller images are not enlarged: the mode is a ceiling on detail.
 */
export async function resizeForMode(bytes: Buffer, mode: OcrResolution): Promise<OcrImage> {
  const size = OCR_MODE_SPECS[mode].size;
  const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS })
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 6 })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, mime: 'image/png' };
}
