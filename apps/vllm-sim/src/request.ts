// Validation and digestion of a `POST /v1/chat/completions` body, in one pass over the
// messages: checks the shape (vLLM answers 400 on a bad body), estimates prompt tokens,
// hashes the conversation for deterministic output, and finds `[[sim:...]]` directives.

import { FNV_INIT, fnv1a, fnvInt } from './tokens';

/** Per-request test directives found in message text. */
export interface SimDirectives {
  /** `[[sim:fail=<status>:<n>]]`: the first n identical requests fail with `status`. */
  failStatus?: number;
  failCount?: number;
  /** `[[sim:hang]]`: take a slot and never answer until the client goes away. */
  hang?: boolean;
  /** `[[sim:tokens=N]]`: produce exactly N completion tokens (max_tokens still caps). */
  tokens?: number;
}

export interface ChatRequest {
  /** Requested model id, or undefined when the body has none (vLLM then uses the first served model). */
  model: string | undefined;
  stream: boolean;
  includeUsage: boolean;
  /** `max_completion_tokens ?? max_tokens`, undefined when neither is set. */
  maxTokens: number | undefined;
  /** Lower runs earlier (vLLM `--scheduling-policy priority`). */
  priority: number;
  promptTokens: number;
  /** Hash of (request seed, messages); the simulator mixes in its seed and the model. */
  contentHash: number;
  directives: SimDirectives | undefined;
  /** `image_url` URLs, in order (DeepSeek-OCR requests carry one). */
  images: string[];
  /** The text parts of the last message, joined: the OCR prompt. */
  promptText: string;
}

export type ParseResult = { ok: true; req: ChatRequest } | { ok: false; message: string };

/** Tokens an image (or other media part) adds to the prompt, as Gemma 3 does per image. */
export const MEDIA_PART_TOKENS = 256;
/** Chat-template overhead per message (role markers). */
const PER_MESSAGE_TOKENS = 3;

const DIRECTIVE_MARK = '[[sim:';
const DIRECTIVE_RE = /\[\[sim:(?:fail=(\d{3}):(\d+)|(hang)|tokens=(\d+))\]\]/g;

function fail(message: string): ParseResult {
  return { ok: false, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optInt(body: Record<string, unknown>, key: string): number | undefined | string {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${key}: Input should be a valid integer`;
  return v;
}

function scanDirectives(text: string, d: SimDirectives | undefined): SimDirectives | undefined {
  DIRECTIVE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DIRECTIVE_RE.exec(text)) !== null) {
    d ??= {};
    if (m[1] !== undefined) {
      const status = Number(m[1]);
      if (status >= 400 && status <= 599) {
        d.failStatus = status;
        d.failCount = Number(m[2]);
      }
    } else if (m[3] !== undefined) {
      d.hang = true;
    } else if (m[4] !== undefined) {
      d.tokens = Math.max(1, Math.min(Number(m[4]), 1_000_000));
    }
  }
  return d;
}

export function parseChatRequest(body: unknown): ParseResult {
  if (!isObject(body)) return fail('Request body must be a JSON object');

  // --- scalar fields -------------------------------------------------------------
  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') {
    return fail('model: Input should be a valid string');
  }

  const maxCompletion = optInt(body, 'max_completion_tokens');
  if (typeof maxCompletion === 'string') return fail(maxCompletion);
  const maxTokensField = optInt(body, 'max_tokens');
  if (typeof maxTokensField === 'string') return fail(maxTokensField);
  const maxTokens = maxCompletion ?? maxTokensField;
  if (maxTokens !== undefined && maxTokens < 1) return fail(`max_tokens must be at least 1, got ${maxTokens}.`);

  const seed = optInt(body, 'seed');
  if (typeof seed === 'string') return fail(seed);
  const priority = optInt(body, 'priority');
  if (typeof priority === 'string') return fail(priority);

  const temperature = body.temperature;
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
      return fail('temperature: Input should be a valid number');
    }
    if (temperature < 0) return fail(`temperature must be non-negative, got ${temperature}.`);
  }

  // vLLM's extras: `skip_special_tokens` and `vllm_xargs` (custom logits-processor arguments).
  const skip = body.skip_special_tokens;
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean') return fail('skip_special_tokens: Input should be a valid boolean');
  const xargs = body.vllm_xargs;
  if (xargs !== undefined && xargs !== null) {
    if (!isObject(xargs)) return fail('vllm_xargs: Input should be a valid dictionary');
    const scalar = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    for (const [k, v] of Object.entries(xargs)) {
      if (!scalar(v) && !(Array.isArray(v) && v.every(scalar))) return fail(`vllm_xargs.${k}: Input should be a string, number or list of them`);
    }
  }

  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return fail('stream: Input should be a valid boolean');
  }
  let includeUsage = false;
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) return fail('stream_options: Input should be a valid dictionary');
    if (stream !== true) return fail('Stream options can only be defined when `stream=True`.');
    const iu = so.include_usage;
    if (iu !== undefined && iu !== null && typeof iu !== 'boolean') {
      return fail('stream_options.include_usage: Input should be a valid boolean');
    }
    includeUsage = iu === true;
  }

  // --- messages --------------------------------------------------------------------
  const messages = body.messages;
  if (messages === undefined || messages === null) return fail('messages: Field required');
  if (!Array.isArray(messages)) return fail('messages: Input should be a valid list');
  if (messages.length === 0) return fail('messages: List should have at least 1 item');

  let h = fnvInt(FNV_INIT, seed === undefined ? 0x7fffffff : seed);
  let chars = 0;
  let media = 0;
  let directives: SimDirectives | undefined;
  const images: string[] = [];
  let promptText = '';

  for (let i = 0; i < messages.length; i++) {
    const msg: unknown = messages[i];
    if (!isObject(msg)) return fail(`messages[${i}]: Input should be a valid dictionary`);
    const role = msg.role;
    if (typeof role !== 'string') return fail(`messages[${i}].role: Field required`);
    h = fnvInt(fnv1a(role, h), 0x1e);
    const content = msg.content;
    const last = i === messages.length - 1;
    if (typeof content === 'string') {
      chars += content.length;
      h = fnv1a(content, h);
      if (last) promptText = content;
      if (content.indexOf(DIRECTIVE_MARK) !== -1) directives = scanDirectives(content, directives);
    } else if (Array.isArray(content)) {
      for (let j = 0; j < content.length; j++) {
        const part: unknown = content[j];
        if (!isObject(part) || typeof part.type !== 'string') {
          return fail(`messages[${i}].content[${j}]: Input should be a valid content part with a string 'type'`);
        }
        const type = part.type;
        h = fnvInt(fnv1a(type, h), 0x1f);
        if (type === 'text') {
          const text = part.text;
          if (typeof text !== 'string') return fail(`messages[${i}].content[${j}].text: Field required`);
          chars += text.length;
          h = fnv1a(text, h);
          if (last) promptText += promptText ? `\n${text}` : text;
          if (text.indexOf(DIRECTIVE_MARK) !== -1) directives = scanDirectives(text, directives);
        } else if (type === 'image_url') {
          const iu = part.image_url;
          const url = isObject(iu) ? iu.url : undefined;
          if (typeof url !== 'string') return fail(`messages[${i}].content[${j}].image_url.url: Field required`);
          media++;
          images.push(url);
          h = fnv1a(url, h);
        } else {
          // input_audio, video_url, ...: accepted, counted as one media item.
          media++;
          h = fnv1a(JSON.stringify(part), h);
        }
      }
    } else if (content !== undefined && content !== null) {
      return fail(`messages[${i}].content: Input should be a valid string or list of content parts`);
    }
  }

  const promptTokens =
    Math.ceil(chars / 4) + PER_MESSAGE_TOKENS * messages.length + MEDIA_PART_TOKENS * media;

  return {
    ok: true,
    req: {
      model: typeof model === 'string' ? model : undefined,
      stream: stream === true,
      includeUsage,
      maxTokens,
      priority: priority ?? 0,
      promptTokens,
      contentHash: h,
      directives,
      images,
      promptText,
    },
  };
}
