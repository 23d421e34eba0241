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

/**
 * Text on the page whose contrast with the background behind it is below
 * WCAG AA (4.5:1), as "TAG "text" ratio". Disabled controls are exempt (WCAG 1.4.3).
 * A string so it runs in the page while this file is typed for Node.
 */
export const LOW_CONTRAST = `(() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c)
    if (m === null) return null
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number)
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }
  }
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) }
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
  const behind = (el) => {
    for (let e = el; e !== null; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor)
      if (c !== null && c.a > 0.5) return c
    }
    // Nothing painted: the browser's canvas, white.
    return { r: 255, g: 255, b: 255, a: 1 }
  }
  const low = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  while (walker.nextNode()) {
    const text = walker.currentNode
    const el = text.parentElement
    if (el === null || text.textContent.trim() === "" || el.closest("[disabled], svg, noscript, .skip") !== null) continue
    if (el.getClientRects().length === 0) continue
    const fg = parse(getComputedStyle(el).color)
    const bg = behind(el)
    const a = lum(fg), b = lum(bg)
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
    if (ratio < 4.5) low.push(el.tagName + ' "' + text.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2))
  }
  return low
})()`
