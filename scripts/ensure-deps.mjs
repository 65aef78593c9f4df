// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that
// `npm test` and `npm run demo` work on a fresh clone without a separate install step.
// Plain JavaScript on purpose: it runs before any dependency is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale =
  !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  process.stderr.write('[setup] installing npm dependencies (npm ci)\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
