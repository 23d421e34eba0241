import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startApp } from "../../support/http-app.js"

/** A stand-in build: what Vite emits, in a directory of the test's own. */
const fakeBuild = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "relaygate-console-"))
    mkdirSync(join(dir, "assets"))
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>console</title><noscript>needs JavaScript</noscript>")
    writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log('hi')")
    writeFileSync(join(dir, "assets", "index-abc123.css"), "body{}")
    // A file beside the build that no URL may reach.
    writeFileSync(join(dir, "..", `${dir.split("/").at(-1)}-secret.txt`), "TOP-SECRET-CONTENT")
    return dir
  }),
  (dir) => Effect.sync(() => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(`${dir}-secret.txt`, { force: true })
  })
)

const get = (base: string, path: string) =>
  Effect.promise(async () => {
    const res = await fetch(`${base}${path}`, { redirect: "manual" })
    return { status: res.status, headers: res.headers, text: await res.text() }
  })

describe("the console's static files", () => {
  it.scoped("serves the build with content types and cache headers, and nothing outside it", () =>
    Effect.gen(function*() {
      const dir = yield* fakeBuild
      const app = yield* startApp({ CONSOLE_DIR: dir, EXPLORER_TX_URL_OSMOSIS_1: "https://explorer.example/osmosis/tx/{tx_hash}" })

      expect((yield* get(app.baseUrl, "/console")).text).toContain("<noscript>")
      const index = yield* get(app.baseUrl, "/console/")
      expect(index.status).toBe(200)
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8")
      expect(index.headers.get("cache-control")).toBe("no-cache")
      expect(index.headers.get("content-security-policy")).toContain("default-src 'self'")
      expect(index.text).toContain("<noscript>")

      const js = yield* get(app.baseUrl, "/console/assets/index-abc123.js")
      expect(js.status).toBe(200)
      expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
      expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
      expect((yield* get(app.baseUrl, "/console/assets/index-abc123.css")).headers.get("content-type")).toBe("text/css; charset=utf-8")

      const secret = `${dir.split("/").at(-1)}-secret.txt`
      for (const path of [`/console/..%2F${secret}`, `/console/%2e%2e/${secret}`, `/console/assets/..%2F..%2F${secret}`, "/console/%2e%2e%2fpackage.json", "/console/%E0%A4%A", "/console/assets/", "/console/missing.js"]) {
        const r = yield* get(app.baseUrl, path)
        expect(r.status, path).toBe(404)
        expect(r.text).not.toContain("TOP-SECRET-CONTENT")
      }

      const config = yield* get(app.baseUrl, "/console/config.json")
      expect(JSON.parse(config.text)).toEqual({ explorers: { "osmosis-1": "https://explorer.example/osmosis/tx/{tx_hash}" } })
    }))

  it.scoped("says how to build the console when there is no build", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ CONSOLE_DIR: join(tmpdir(), "relaygate-console-never-built") })
      const r = yield* get(app.baseUrl, "/console/")
      expect(r.status).toBe(503)
      expect(r.text).toContain("npm run build:console")
    }))

  it.scoped("refuses an explorer pattern without {tx_hash} at start-up", () =>
    Effect.gen(function*() {
      const started = yield* Effect.exit(startApp({ EXPLORER_TX_URL_OSMOSIS_1: "https://explorer.example/tx/" }))
      expect(started._tag).toBe("Failure")
      expect(String(started)).toContain("EXPLORER_TX_URL_OSMOSIS_1")
    }))
})
