/**
 * Builds the web page when web/dist is missing or older than what it is built from, so
 * `npm start` on a fresh clone, or after a pull that changed the page, serves the current page
 * with no extra step. Run by `npm start` before the gateway, and by the page's browser tests.
 * The build goes to a folder of its own and replaces web/dist only once complete. An install
 * without dev dependencies (no Vite) keeps the build it has; with none, or when the build
 * fails, it says so and the gateway starts all the same.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(WEB, '..');
const DIST = join(WEB, 'dist');
const BUILT_MARKER = join(DIST, 'index.html');

export type WebBuild = 'fresh' | 'built' | 'unavailable';

export async function ensureWebBuilt(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<WebBuild> {
  const builtAt = existsSync(BUILT_MARKER) ? statSync(BUILT_MARKER).mtimeMs : null;
  const changedAt = newestSourceMtime();
  if (builtAt !== null && builtAt >= changedAt) return 'fresh';
  let viteBin: string;
  try {
    viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    if (builtAt === null) log('ordergate: the web page is not built and Vite is not installed (npm install without --omit=dev builds it); starting without it.');
    return 'unavailable';
  }
  log(builtAt === null ? 'ordergate: building the web page (web/dist)…' : 'ordergate: the web page changed; rebuilding web/dist…');
  const staging = join(WEB, `dist-building-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    await run(process.execPath, [viteBin, 'build', WEB, '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn']);
    rmSync(DIST, { recursive: true, force: true });
    try {
      renameSync(staging, DIST);
    } catch (error) {
      // Another start built the same sources at the same time and put its build there first.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return 'built';
}

/** The newest modification time of what the page is built from. */
function newestSourceMtime(): number {
  const files = [join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(WEB, 'tsconfig.json'), join(ROOT, 'package-lock.json'), ...walk(join(WEB, 'src'))];
  return Math.max(...files.filter((file) => existsSync(file)).map((file) => statSync(file).mtimeMs));
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.name.endsWith('.test.ts') ? [] : [path];
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // NODE_ENV as a test runner sets it would make Vite bundle React's development build.
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${signal ?? `exit ${code}`})`))));
  });
}

// A page that does not build must not keep the API from starting: say so and serve what there is.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureWebBuilt().catch((error: unknown) => {
    const serving = existsSync(BUILT_MARKER) ? 'serving the previous build' : 'starting without the page';
    process.stderr.write(`ordergate: could not build the web page (${error instanceof Error ? error.message : String(error)}); ${serving}.\n`);
  });
}
