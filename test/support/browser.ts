import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect } from "effect"
import { type Browser, chromium } from "playwright-core"

const ROOT = new URL("../../", import.meta.url).pathname

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

// Without the background-networking flags Chromium dials Google services, which a closed network refuses slowly.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage"
]

/** Headless Chromium for the life of the scope. */
export const browser = Effect.acquireRelease(
  Effect.promise(() => chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 })),
  (b: Browser) => Effect.promise(() => b.close())
)

/** The console built by Vite, as `npm run build:console` builds it, into a directory of the caller's own (for CONSOLE_DIR). */
export const buildConsole = async (): Promise<string> => {
  const out = mkdtempSync(join(tmpdir(), "relaygate-console-build-"))
  await promisify(execFile)(join(ROOT, "node_modules/.bin/vite"), ["build", "--config", "console/vite.config.ts", "--outDir", out, "--emptyOutDir"], {
    cwd: ROOT,
    timeout: 120_000
  })
  return out
}

export const removeBuild = (dir: string) => rmSync(dir, { recursive: true, force: true })

/** test-results/console/<name>.png (ignored by git) for a person to look at. */
export const screenshotPath = (name: string) => {
  const dir = join(ROOT, "test-results", "console")
  mkdirSync(dir, { recursive: true })
  return join(dir, `${name}.png`)
}
