import { readFile, stat } from "node:fs/promises"
import { extname, join, normalize, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { ConsoleConfig } from "../config.js"

/*
 * The web console: Vite's build of console/ (dist/console, made by
 * `npm run build:console`, which `npm start` runs first) served under /console,
 * plus /console/config.json with what the page cannot learn from the API
 * (explorer links per chain). The page talks only to the public API.
 */

/** Where `npm run build:console` puts the page; CONSOLE_DIR overrides it. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../dist/console/", import.meta.url))

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2"
}

// The page builds QR codes as data: images and opens the WebSocket on its own origin.
const SECURITY = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

const text = (status: number, body: string) =>
  HttpServerResponse.text(body, { status, headers: { ...SECURITY, "cache-control": "no-store" } })

/** Path below /console/ → a file inside `root`, or null when it would leave it. */
export const resolveAsset = (root: string, urlPath: string): string | null => {
  let rel: string
  try {
    rel = decodeURIComponent(urlPath.replace(/^\/console\/?/, ""))
  } catch {
    return null
  }
  if (rel === "") rel = "index.html"
  if (rel.includes("\0") || rel.includes("\\")) return null
  const full = normalize(join(root, rel))
  return full.startsWith(root) ? full : null
}

const serveFile = (root: string, urlPath: string) =>
  Effect.gen(function*() {
    const file = resolveAsset(root, urlPath)
    if (file === null) return text(404, "not found")
    const found = yield* Effect.promise(() => stat(file).then((s) => s.isFile(), () => false))
    if (!found) {
      const built = yield* Effect.promise(() => stat(join(root, "index.html")).then(() => true, () => false))
      return built ? text(404, "not found") : text(503, "the console is not built: run `npm run build:console` (npm start does it first)")
    }
    const body = yield* Effect.promise(() => readFile(file))
    return HttpServerResponse.uint8Array(body, {
      contentType: TYPES[extname(file)] ?? "application/octet-stream",
      // Vite names everything under assets/ by content hash, so those never change; the rest is revalidated.
      headers: { ...SECURITY, "cache-control": file.startsWith(join(root, "assets") + sep) ? "public, max-age=31536000, immutable" : "no-cache" }
    })
  })

export const ConsoleLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const { dir, explorerTxUrls } = yield* ConsoleConfig
    // With a trailing separator, so a sibling like `console-old` is not "inside".
    const root = resolve(Option.getOrElse(dir, () => DEFAULT_CONSOLE_DIR)) + sep
    const config = { explorers: Object.fromEntries(explorerTxUrls) }
    const page = Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) => serveFile(root, new URL(req.url, "http://x").pathname))
    yield* router.get("/console", page)
    yield* router.get(
      "/console/config.json",
      HttpServerResponse.json(config, { headers: { ...SECURITY, "cache-control": "no-cache" } }).pipe(Effect.orDie)
    )
    yield* router.get("/console/*", page)
  })
)
