import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { InvalidMessageError, OCR_PROMPTS, OcrSubmitDto, parseMessage, parseOcrPrompt, type OcrPrompt } from '@gantry/contracts';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { JOB_SUBMIT_OPTION_FIELDS, parseJobSubmitOptions, type JobSubmitOptions } from '../jobs/job-submit-options';

/** What a client sent to `POST /api/ocr`, whichever body shape it used; the file is not checked yet. */
export interface OcrUpload {
  bytes: Buffer;
  /** The type the client claimed (data URL or multipart part); checked against the bytes. */
  declaredType?: string;
  model?: string;
  prompt: OcrPrompt;
  target?: string;
  maxTokens?: number;
  /** `webhook`, `webhook_events_filter`, `ttl`, `execution_timeout`: validated as on `POST /api/chat`. */
  options?: JobSubmitOptions;
}

const PROMPT_HELP = `prompt must be one of ${OCR_PROMPTS.join(', ')} (locate needs a target), or DeepSeek-OCR's own prompt text`;

function prompt(text: string | undefined, target: string | undefined): { prompt: OcrPrompt; target?: string } {
  const t = (text ?? '').trim();
  if (t.toLowerCase() === 'locate') {
    const parsed = target?.trim() ? parseOcrPrompt(`Locate <|ref|>${target.trim()}<|/ref|> in the image.`) : null;
    if (!parsed) throw new ApiError(ApiErrorCode.InvalidPrompt, 'the locate prompt needs a target of 1-200 characters');
    return parsed;
  }
  const parsed = parseOcrPrompt(t);
  if (!parsed) throw new ApiError(ApiErrorCode.InvalidPrompt, PROMPT_HELP);
  return parsed;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(ApiErrorCode.ImageTooLarge, `The file is larger than ${maxBytes} bytes`);
}

/** `data:<type>;base64,<payload>` → bytes. Remote URLs are never fetched (no SSRF through the gateway). */
export function decodeDataUrl(url: string, maxBytes: number): { bytes: Buffer; declaredType: string } {
  const head = /^data:([^,]{0,200}),/i.exec(url.slice(0, 256));
  if (!head) {
    const detail = /^https?:/i.test(url)
      ? 'image_url.url must be a data: URL; remote images are not fetched (upload the file with multipart/form-data instead)'
      : 'image_url.url must be a base64 data: URL (data:image/png;base64,...)';
    throw new ApiError(ApiErrorCode.InvalidRequest, detail);
  }
  const [type, ...params] = head[1].split(';');
  if (!params.some((p) => p.trim().toLowerCase() === 'base64')) throw new ApiError(ApiErrorCode.InvalidImage, 'The data URL must be base64-encoded');
  const payload = url.slice(head[0].length);
  if (Math.floor((payload.length * 3) / 4) - 2 > maxBytes) throw tooLarge(maxBytes);
  const compact = payload.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw new ApiError(ApiErrorCode.InvalidImage, 'The data URL is not valid base64');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return { bytes, declaredType: type.trim().toLowerCase() };
}

/** The JSON shape (reference/002): one `image_url` part and the prompt in `text` parts. */
export function uploadFromJson(body: unknown, maxBytes: number): OcrUpload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body must be a JSON object');
  let dto: OcrSubmitDto;
  try {
    dto = parseMessage(OcrSubmitDto, body);
  } catch (err) {
    if (err instanceof InvalidMessageError) throw new ApiError(ApiErrorCode.InvalidRequest, 'Request body is invalid', err.reasons);
    throw err;
  }
  const parts = dto.messages.filter((m) => m.role === 'user').flatMap((m) => m.content);
  const images = parts.filter((p) => p.type === 'image_url');
  if (images.length === 0) throw new ApiError(ApiErrorCode.MissingImage, 'Send one image_url content part with the image (a data: URL)');
  if (images.length > 1) throw new ApiError(ApiErrorCode.InvalidRequest, 'Send one image per request (a PDF for several pages)');
  const text = parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text ?? '')
    .join('\n');
  return { ...decodeDataUrl(images[0].image_url!.url, maxBytes), model: dto.model, maxTokens: dto.max_tokens, ...prompt(text, undefined) };
}

const FIELDS = new Set<string>(['prompt', 'target', 'max_tokens', 'model', ...JOB_SUBMIT_OPTION_FIELDS]);

/** Multipart fields are text: numbers become numbers, the event filter a list (repeated or comma-separated). */
function multipartOptions(fields: Record<string, string>, filters: string[]): JobSubmitOptions {
  const num = (v: string | undefined) => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  return parseJobSubmitOptions({
    webhook: fields.webhook,
    webhook_events_filter: filters.length ? filters.flatMap((f) => f.split(',')).map((f) => f.trim()) : undefined,
    ttl: num(fields.ttl),
    execution_timeout: num(fields.execution_timeout),
  });
}

/** multipart/form-data: `file` plus optional `prompt`, `target`, `max_tokens`, `model` and the job options. */
export async function uploadFromMultipart(req: FastifyRequest, maxBytes: number): Promise<OcrUpload> {
  const fields: Record<string, string> = {};
  const filters: string[] = [];
  let file: { bytes: Buffer; type: string } | undefined;
  try {
    for await (const part of req.parts() as AsyncIterable<Multipart>) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          part.file.resume();
          throw new ApiError(ApiErrorCode.InvalidRequest, 'Send exactly one file, in the field named file');
        }
        file = { bytes: await part.toBuffer(), type: part.mimetype };
      } else {
        if (!FIELDS.has(part.fieldname)) throw new ApiError(ApiErrorCode.InvalidRequest, `Unknown field ${part.fieldname}; fields are file, ${[...FIELDS].join(', ')}`);
        if (part.fieldname === 'webhook_events_filter') filters.push(String(part.value));
        else fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    throw multipartError(err, maxBytes);
  }
  if (!file || file.bytes.length === 0) throw new ApiError(ApiErrorCode.MissingImage, 'Send the image or PDF in a multipart field named file');
  const options = multipartOptions(fields, filters);
  let maxTokens: number | undefined;
  if (fields.max_tokens !== undefined) {
    maxTokens = Number(fields.max_tokens);
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 8192) throw new ApiError(ApiErrorCode.InvalidRequest, 'max_tokens must be an integer from 1 to 8192');
  }
  if (fields.model !== undefined && (fields.model === '' || fields.model.length > 200)) throw new ApiError(ApiErrorCode.InvalidRequest, 'model must be 1-200 characters');
  const declared = file.type.toLowerCase();
  return {
    bytes: file.bytes,
    // curl labels unknown extensions octet-stream: that claims nothing.
    declaredType: declared === 'application/octet-stream' ? undefined : declared,
    model: fields.model,
    maxTokens,
    ...prompt(fields.prompt, fields.target),
    options,
  };
}

function multipartError(err: unknown, maxBytes: number): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maxBytes);
  if (code === 'FST_FILES_LIMIT') return new ApiError(ApiErrorCode.InvalidRequest, 'Send exactly one file, in the field named file');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_PROTO_VIOLATION') return new ApiError(ApiErrorCode.InvalidRequest, 'Too many or malformed multipart fields');
  return new ApiError(ApiErrorCode.InvalidRequest, `Malformed multipart body: ${err instanceof Error ? err.message : String(err)}`);
}
