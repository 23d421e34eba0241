import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { existsSync } from "node:fs"
import { CorsConfig } from "../../../apps/config.js"
import { browser, CHROMIUM } from "../../support/browser.js"
import { request, startApp } from "../../support/http-app.js"
import { inProcessApp } from "../../support/in-process-app.js"

const SECRET = "security-headers-jwt-secret-0123456789abcdef"

/** One answer of each kind: a route, the docs, the OpenAPI JSON, each module's 400/401/404, a malformed body. */
const SAMPLES: ReadonlyArray<{ readonly method: string; readonly path: string; readonly body?: string; readonly status: number }> = [
  { method: "GET", path: "/health", status: 200 },
  { method: "GET", path: "/docs-json", status: 200 },
  { method: "GET", path: "/docs", status: 200 },
  { method: "GET", path: "/no/such/route", status: 404 },
  { method: "POST", path: "/sessions/create", body: "{not json", status: 400 },
  { method: "GET", path: "/sessions/unknown-session", status: 404 },
  { method: "GET", path: "/api/v1/zipcode-assignments/current", status: 400 },
  { method: "GET", path: "/api/v1/packets/stuck?limit=-1", status: 400 },
  { method: "POST", path: "/api/v1/clearing/request-token", body: "{}", status: 401 }
]

const send = (handle: (r: Request) => Promise<Response>, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
  Effect.promise(async () => {
    const res = await handle(new Request(`http://relaygate.test${path}`, {
      method,
      headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body })
    }))
    await res.arrayBuffer()
    return res
  })

describe("security headers", () => {
  it.scoped("every kind of answer carries nosniff, no framing, no referrer and a CSP", () =>
    Effect.gen(function*() {
      const app = yield* inProcessApp({ JWT_SECRET: SECRET })
      for (const s of SAMPLES) {
        const res = yield* send(app.handle, s.method, s.path, s.body === undefined ? {} : { body: s.body })
        const what = `${s.method} ${s.path}`
        expect(res.status, what).toBe(s.status)
        expect(res.headers.get("x-content-type-options"), what).toBe("nosniff")
        expect(res.headers.get("x-frame-options"), what).toBe("DENY")
        expect(res.headers.get("referrer-policy"), what).toBe("no-referrer")
        const csp = res.headers.get("content-security-policy") ?? ""
        expect(csp, what).toContain("frame-ancestors 'none'")
        expect(csp, what).toContain("object-src 'none'")
        // Only the Swagger page (one HTML file with inline script) may run inline code.
        expect(csp.includes("'unsafe-inline'"), what).toBe(s.path === "/docs")
      }
    }))

  it.scoped("over TCP too, including refusals of the connection guard (414 URL, 431 headers written straight to the socket)", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const answers = [
        yield* request(app.baseUrl, "GET", "/health"),
        yield* request(app.baseUrl, "GET", `/sessions?user_pubkey=${"a".repeat(10_000)}`),
        yield* request(app.baseUrl, "GET", "/health", undefined, { headers: { "x-padding": "a".repeat(20_000) } })
      ]
      expect(answers.map((a) => a.status)).toEqual([200, 414, 431])
      for (const a of answers) {
        expect(a.headers.get("x-content-type-options"), String(a.status)).toBe("nosniff")
        expect(a.headers.get("x-frame-options"), String(a.status)).toBe("DENY")
        expect(a.headers.get("content-security-policy"), String(a.status)).toContain("frame-ancestors 'none'")
      }
    }))

  it.scoped.skipIf(!existsSync(CHROMIUM))("the Swagger UI at /docs still renders under its CSP, with no policy violation", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const b = yield* browser
      const page = yield* Effect.promise(() => b.newPage())
      const violations: Array<string> = []
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text())
      })
      yield* Effect.promise(() => page.goto(`${app.baseUrl}/docs`, { waitUntil: "load", timeout: 60_000 }))
      // The UI renders one block per operation once it has read the inline spec.
      yield* Effect.promise(() => page.waitForSelector(".opblock", { timeout: 60_000 }))
      const operations = yield* Effect.promise(() => page.locator(".opblock").count())
      expect(operations).toBeGreaterThan(50)
      expect(violations).toEqual([])
    }), 120_000)
})

describe("CORS", () => {
  const preflight = { "origin": "https://wallet.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" }

  it.scoped("is off by default: no allow-origin for any origin, preflight or not", () =>
    Effect.gen(function*() {
      const app = yield* inProcessApp()
      const get = yield* send(app.handle, "GET", "/health", { headers: { origin: "https://evil.example" } })
      expect(get.status).toBe(200)
      expect(get.headers.get("access-control-allow-origin")).toBeNull()
      const options = yield* send(app.handle, "OPTIONS", "/sessions/create", { headers: preflight })
      expect(options.headers.get("access-control-allow-origin")).toBeNull()
      expect(options.headers.get("access-control-allow-methods")).toBeNull()
    }))

  it.scoped("CORS_ORIGINS lists who may call: a listed origin is echoed (also on error answers), others get nothing", () =>
    Effect.gen(function*() {
      const app = yield* inProcessApp({ CORS_ORIGINS: "https://wallet.example, https://console.example:8443" })
      const ok = yield* send(app.handle, "GET", "/health", { headers: { origin: "https://wallet.example" } })
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://wallet.example")
      expect(ok.headers.get("vary")).toContain("Origin")
      const bad = yield* send(app.handle, "POST", "/sessions/create", { body: "{", headers: { origin: "https://console.example:8443" } })
      expect(bad.status).toBe(400)
      expect(bad.headers.get("access-control-allow-origin")).toBe("https://console.example:8443")
      const other = yield* send(app.handle, "GET", "/health", { headers: { origin: "https://evil.example" } })
      expect(other.headers.get("access-control-allow-origin")).toBeNull()
      const pre = yield* send(app.handle, "OPTIONS", "/sessions/create", { headers: preflight })
      expect(pre.status).toBe(204)
      expect(pre.headers.get("access-control-allow-origin")).toBe("https://wallet.example")
      expect(pre.headers.get("access-control-allow-methods")).toContain("POST")
      expect(pre.headers.get("access-control-allow-headers")).toContain("content-type")
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull()
    }))

  it.scoped("CORS_ORIGINS=* lets any origin read the API, without credentials", () =>
    Effect.gen(function*() {
      const app = yield* inProcessApp({ CORS_ORIGINS: "*" })
      const res = yield* send(app.handle, "GET", "/health", { headers: { origin: "https://anyone.example" } })
      expect(res.headers.get("access-control-allow-origin")).toBe("*")
      expect(res.headers.get("access-control-allow-credentials")).toBeNull()
    }))

  it.effect("CORS_ORIGINS must be * or exact origins; anything else stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const parse = (raw: string) => Effect.either(Effect.withConfigProvider(CorsConfig, ConfigProvider.fromMap(new Map([["CORS_ORIGINS", raw]]))))
      for (const raw of ["https://wallet.example/path", "wallet.example", "javascript:alert(1)", "*,https://a.example", " , "]) {
        const r = yield* parse(raw)
        expect(Either.isLeft(r), raw).toBe(true)
        if (Either.isLeft(r)) expect(String(r.left)).toContain("CORS_ORIGINS")
      }
      const ok = yield* parse("https://a.example,http://127.0.0.1:5173")
      expect(ok).toEqual(Either.right(Option.some(["https://a.example", "http://127.0.0.1:5173"])))
    }))
})
