// Summarises V8 CPU profiles: `node -r ./bench/register.js bench/profile-summary.ts <file.cpuprofile|dir>...`
// (profiles come from `npm run bench -- --profile`, or from any `node --cpu-prof` run).
import { statSync } from 'node:fs';
import { profileMarkdown, summariseProfile, summariseProfiles } from './lib/profile';

const args = process.argv.slice(2);
if (!args.length) {
  process.stderr.write('usage: node -r ./bench/register.js bench/profile-summary.ts <file.cpuprofile|dir>...\n');
  process.exit(2);
}
for (const a of args) {
  const summaries = statSync(a).isDirectory() ? summariseProfiles(a) : [summariseProfile(a)];
  for (const s of summaries) process.stdout.write(`${profileMarkdown(s, 20)}\n\n`);
}
