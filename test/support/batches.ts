/** One line of a batch's output or error file, as the batch tests read it. */
export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: { object: string; choices: Array<{ message: { content: string } }> } } | null;
  error: { code: string; message: string; line?: number } | null;
}

/** A chat line of a batch input file; `extra` overrides envelope fields (`url`, `method`, …). */
export function chatLine(customId: string, content: string, extra: Record<string, unknown> = {}, maxTokens = 16): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gemma-3-4b-it', messages: [{ role: 'user', content }], max_tokens: maxTokens }, ...extra });
}

export function parseJsonl(text: string): OutputLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OutputLine);
}
