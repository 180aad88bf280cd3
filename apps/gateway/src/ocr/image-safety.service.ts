import { Injectable, Logger } from '@nestjs/common';
import sharp from 'sharp';
import { GatewayEnv } from '@gantry/config';
import { isAccepted, MIME_OF, PdfEngine, PdfError, sniffFormat, type AcceptedFormat } from '@gantry/media';
import { ApiError, ApiErrorCode } from '../errors/api-error';

export interface SafeImage {
  kind: 'image';
  /** Re-encoded: orientation applied, metadata (EXIF, GPS, ICC, comments) gone, transparency on white. */
  bytes: Buffer;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  format: AcceptedFormat;
}

export interface SafePdf {
  kind: 'pdf';
  bytes: Buffer;
  contentType: 'application/pdf';
  pages: number;
}

/** Types a client may claim for each format (anything else claiming to be an image is a lie). */
const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png', 'image/tif': 'image/tiff', 'application/x-pdf': 'application/pdf' };

/**
 * Decides whether an uploaded file may be queued, before anything is stored or published
 * (DESIGN.md §6): the format comes from the bytes (JPEG, PNG, WebP, single-page TIFF, GIF's first
 * frame, PDF); a claimed type that disagrees is refused; the pixel count is read from the header
 * and checked before any decoding (a decompression bomb never gets decoded); the image is then
 * decoded with the same limit, strictly (a truncated file fails), turned upright and re-encoded
 * without its metadata. PDFs are opened with MuPDF to count pages.
 */
@Injectable()
export class ImageSafetyService {
  private readonly log = new Logger(ImageSafetyService.name);

  constructor(
    private readonly env: GatewayEnv,
    private readonly pdf: PdfEngine,
  ) {}

  async inspect(bytes: Buffer, declaredType?: string): Promise<SafeImage | SafePdf> {
    if (bytes.length === 0) throw new ApiError(ApiErrorCode.MissingImage, 'The file is empty');
    if (bytes.length > this.env.OCR_MAX_FILE_BYTES) throw new ApiError(ApiErrorCode.ImageTooLarge, `The file is larger than ${this.env.OCR_MAX_FILE_BYTES} bytes`);
    const format = sniffFormat(bytes);
    if (format === null) throw new ApiError(ApiErrorCode.InvalidImage, 'The file is not an image or a PDF');
    if (!isAccepted(format)) {
      throw new ApiError(ApiErrorCode.UnsupportedImageFormat, `${format.toUpperCase()} is not accepted; send JPEG, PNG, WebP, TIFF, GIF or PDF`);
    }
    const claimed = declaredType ? (ALIASES[declaredType] ?? declaredType) : undefined;
    if (claimed && (claimed.startsWith('image/') || claimed === 'application/pdf') && claimed !== MIME_OF[format]) {
      throw new ApiError(ApiErrorCode.ContentTypeMismatch, `The file was sent as ${declaredType} but is ${MIME_OF[format]}`);
    }
    return format === 'pdf' ? this.inspectPdf(bytes) : this.inspectImage(bytes, format);
  }

  private async inspectPdf(bytes: Buffer): Promise<SafePdf> {
    let info;
    try {
      info = await this.pdf.probe(bytes);
    } catch (err) {
      if (err instanceof PdfError && err.code !== 'engine_error') throw new ApiError(ApiErrorCode.InvalidPdf, `The PDF cannot be read: ${err.message}`);
      throw err;
    }
    if (info.encrypted) throw new ApiError(ApiErrorCode.PdfEncrypted, 'The PDF is password-protected');
    if (info.pages === 0) throw new ApiError(ApiErrorCode.InvalidPdf, 'The PDF has no pages');
    if (info.pages > this.env.OCR_MAX_PDF_PAGES) {
      throw new ApiError(ApiErrorCode.PdfTooManyPages, `The PDF has ${info.pages} pages; at most ${this.env.OCR_MAX_PDF_PAGES} are accepted`);
    }
    return { kind: 'pdf', bytes, contentType: 'application/pdf', pages: info.pages };
  }

  private async inspectImage(bytes: Buffer, format: Exclude<AcceptedFormat, 'pdf'>): Promise<SafeImage> {
    const limit = this.env.OCR_MAX_PIXELS;
    let meta: sharp.Metadata;
    try {
      // Header only: nothing is decoded yet.
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch {
      throw new ApiError(ApiErrorCode.InvalidImage, `The ${format.toUpperCase()} header cannot be read`);
    }
    if (!meta.width || !meta.height || meta.format !== (format === 'tiff' ? 'tiff' : format)) {
      throw new ApiError(ApiErrorCode.InvalidImage, `The ${format.toUpperCase()} header is invalid`);
    }
    if (meta.width * meta.height > limit) {
      throw new ApiError(ApiErrorCode.ImageDimensionsTooLarge, `The image is ${meta.width}×${meta.height} pixels; at most ${limit} pixels are accepted`);
    }
    if (format === 'tiff' && (meta.pages ?? 1) > 1) {
      throw new ApiError(ApiErrorCode.UnsupportedImageFormat, `The TIFF has ${meta.pages} pages; send one page per image, or a PDF`);
    }
    const pipeline = sharp(bytes, { limitInputPixels: limit, failOn: 'warning' }).rotate().flatten({ background: '#ffffff' });
    const out = format === 'jpeg' ? pipeline.jpeg({ quality: 95 }) : pipeline.png({ compressionLevel: 6 });
    try {
      const { data, info } = await out.toBuffer({ resolveWithObject: true });
      return { kind: 'image', bytes: data, contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png', width: info.width, height: info.height, format };
    } catch (err) {
      this.log.debug({ msg: 'image rejected at decode', format, err: err instanceof Error ? err.message : String(err) });
      throw new ApiError(ApiErrorCode.InvalidImage, `The ${format.toUpperCase()} data is corrupt or truncated`);
    }
  }
}
