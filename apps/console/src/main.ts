import { render } from './console-render';
import { AdminApiError, AdminClient } from './admin-client';
import { parseConsoleArgs, USAGE } from './console-args';

/** `npm run console -- <gateway-url> <admin-token> [--refresh <seconds>]`: the operators' terminal UI. */
async function main(): Promise<void> {
  let args;
  try {
    args = parseConsoleArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`gantry console: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const client = new AdminClient(args.url, args.token);
  // A wrong token or URL is told at once, before the screen takes over the terminal.
  try {
    await client.models();
  } catch (err) {
    if (err instanceof AdminApiError && err.status >= 400 && err.status < 500) {
      process.stderr.write(`gantry console: the gateway refused the request (${err.message}); the console needs the gateway's base URL and an admin token\n`);
      process.exit(2);
    }
    // Unreachable for now: the screen shows the error and keeps retrying.
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('gantry console: needs an interactive terminal (run it in a terminal or tmux)\n');
    process.exit(2);
  }
  await render(client, args.refreshMs);
  // Quit means quit: pending refreshes and the terminal's input stream must not keep the process alive.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`gantry console failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
