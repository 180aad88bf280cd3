import type { ChatMessage } from '@gantry/contracts';

/** Completion tokens counted for a request without `max_tokens`. */
export const DEFAULT_COMPLETION_ESTIMATE = 256;

/**
 * Tokens a chat request is charged at submit, before anything ran: `max_tokens` (or a default)
 * plus the prompt at about four characters a token, with a few tokens per message of framing.
 */
export function estimateChatTokens(messages: ChatMessage[], maxTokens: number | undefined): number {
  const chars = messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)).length, 0);
  return Math.ceil(chars / 4) + 4 * messages.length + (maxTokens ?? DEFAULT_COMPLETION_ESTIMATE);
}
