export interface ConsoleArgs {
  url: string;
  token: string;
  refreshMs: number;
  help: boolean;
}

export const USAGE = `Usage: npm run console -- <gateway-url> <admin-token> [--refresh <seconds>]

  <gateway-url>        e.g. http://127.0.0.1:8080
  <admin-token>        an access token with the admin role (POST /auth/token)
  --refresh <seconds>  how often the screen is refreshed, 1-60 (default 2)

Keys: up/down (or k/j) select a pool, p pause (graceful stop), r resume (start),
      d drain (graceful stop, then wait until nothing runs), q quit.
`;

/** `<url> <token> [--refresh N]`; throws with a message naming what is wrong. */
export function parseConsoleArgs(argv: string[]): ConsoleArgs {
  if (argv.includes('-h') || argv.includes('--help')) return { url: '', token: '', refreshMs: 0, help: true };
  const positional: string[] = [];
  let refreshMs = 2_000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--refresh') {
      const raw = argv[++i] ?? '';
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > 60) throw new Error(`--refresh: expected whole seconds from 1 to 60, got '${raw}'`);
      refreshMs = n * 1000;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 2) throw new Error('expected exactly two arguments: the gateway URL and an admin token');
  const [url, token] = positional;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`the gateway URL must be http or https, got '${url}'`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error('the token is empty or has spaces or control characters');
  return { url: url.replace(/\/+$/, ''), token, refreshMs, help: false };
}
