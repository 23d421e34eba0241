import { describe, expect, it } from "@effect/vitest"
import { Effect, Runtime, type Scope } from "effect"
import fc from "fast-check"
import { SignJWT } from "jose"
import { clearingErrorBodies } from "../../../apps/http/clearing/errors.js"
import { epochsErrorBodies } from "../../../apps/http/epochs/errors.js"
import { ClearingStore } from "../../../ports/clearing-store.js"
import { EpochStore } from "../../../ports/epoch-store.js"
import { InvoiceStore } from "../../../ports/invoice-store.js"
import { LedgerStore } from "../../../ports/ledger-store.js"
import { PacketStore } from "../../../ports/packet-store.js"
import { SessionStore } from "../../../ports/session-store.js"
import { TransactionStore } from "../../../ports/transaction-store.js"
import { VtxoStore } from "../../../ports/vtxo-store.js"
import { startApp } from "../../support/http-app.js"
import { type InProcessApp, inProcessApp } from "../../support/in-process-app.js"
import {
  asText,
  encodeSegment,
  fuzzValue,
  hostile,
  INJECTIONS,
  malformedBody,
  type Operation,
  operations,
  Pools,
  toJsonText
} from "../../support/openapi-fuzz.js"

/**
 * Route fuzzing from the app's own /docs-json: every operation gets hostile
 * path, query, header and body values. Each answer must be a 2xx or a 4xx
 * with its module's error body, never a 5xx or a stack trace, and a refused
 * request must leave every store as it was.
 */

const SECRET = "fuzz-jwt-secret-0123456789abcdef-0123456789"
const ADMIN_KEY = "fuzz-admin-key-0123456789abcdef"
/** Rate limits and load shedding (their own tests) would only turn generated requests into 429/503 on a busy machine. */
const ENV = { JWT_SECRET: SECRET, ADMIN_API_KEY: ADMIN_KEY, RATE_LIMIT_ENABLED: "false", MAX_EVENT_LOOP_DELAY_MS: "60000" }

/**
 * Requests per run, spread evenly over every operation of /docs-json (plus one
 * unknown route per module), so the count stays above 20,000 and the runtime
 * flat as routes come and go. FUZZ_RUNS_PER_OPERATION overrides the spread
 * for a quick local run.
 */
const REQUESTS_PER_RUN = 21_000
const MIN_REQUESTS = 20_000
const TCP_REQUESTS_PER_RUN = 1_200
const runsPerOperation = (requests: number, operationCount: number) =>
  Number(process.env["FUZZ_RUNS_PER_OPERATION"] ?? Math.ceil(requests / operationCount))

type Module = "ark" | "epochs" | "clearing"

const under = (prefixes: ReadonlyArray<string>, path: string) => prefixes.some((p) => path === p || path.startsWith(`${p}/`))
const moduleOf = (path: string): Module =>
  under(clearingErrorBodies.prefixes, path) ? "clearing" : under(epochsErrorBodies.prefixes, path) ? "epochs" : "ark"

/** The module's error body (ARCHITECTURE.md), checked on every 4xx. */
const hasModuleBody = (module: Module, status: number, body: any): boolean => {
  if (body === null || typeof body !== "object") return false
  switch (module) {
    case "ark":
      return typeof body.error === "string" && typeof body.code === "string"
    case "epochs":
      return body.statusCode === status && (Array.isArray(body.message) || typeof body.message === "string") && typeof body.error === "string"
    case "clearing":
      return typeof body.error?.code === "string" && typeof body.error?.title === "string" && typeof body.error?.message === "string" &&
        typeof body.request_id === "string" && typeof body.timestamp === "string"
  }
}

/** Traces of the implementation a client must never see: stack frames, source paths, raw JS error names. */
const LEAKS: ReadonlyArray<RegExp> = [
  /\bat [\w$.<>[\] ]+ \([^)]*:\d+:\d+\)/,
  /\bat (?:file:\/\/|\/)[^\s"]+:\d+:\d+/,
  /node_modules/,
  /file:\/\//,
  new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|InternalError|AggregateError)\b/,
  /\[object Object\]/,
  /\bUnhandled\b|\bDefect\b|FiberFailure/
]

/**
 * The one 5xx a request may get here: a feature whose dependency this test
 * deliberately leaves unconfigured (the Nostr worker needs relays; clearing
 * needs a fee, a payment address and a relayer) answers 503 saying so,
 * whatever the input.
 */
const NOT_CONFIGURED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/nostr\//, "NOSTR_NOT_CONFIGURED"],
  [/^\/api\/v1\/clearing\//, "CLEARING_UNAVAILABLE"]
]
const notConfigured = (op: Operation, status: number, text: string) =>
  status === 503 && NOT_CONFIGURED.some(([path, code]) => path.test(op.path) && text.includes(`"code":"${code}"`))

const jwt = (now: number, claims: Record<string, unknown> = {}) =>
  new SignJWT({ user_id: "usr_fuzz", wallet_address: "osmo1fuzz", chain_id: "osmosis-1", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + 24 * 3_600)
    .sign(new TextEncoder().encode(SECRET))

/**
 * Every record of every store the app writes to, read through its port. The
 * memory stores keep immutable records, so "unchanged" is the same objects in
 * the same order: compared by reference, no serialising per request.
 */
const snapshot = Effect.gen(function*() {
  const sessions = yield* SessionStore
  const ledger = yield* LedgerStore
  const vtxos = yield* VtxoStore
  const invoices = yield* InvoiceStore
  const transactions = yield* TransactionStore
  const epochs = yield* EpochStore
  const packets = yield* PacketStore
  const clearing = yield* ClearingStore
  return {
    sessions: yield* sessions.list({}),
    assets: yield* ledger.listAssets(),
    holds: yield* ledger.listHolds({}),
    journal: yield* ledger.journal({}),
    vtxos: yield* vtxos.list({}),
    batches: yield* vtxos.listBatches({}),
    settlements: yield* vtxos.listSettlements(10_000),
    invoices: yield* invoices.list({}),
    transactions: yield* transactions.list({}),
    epochs: yield* epochs.list({}),
    packets: yield* packets.list({}),
    clearing: yield* clearing.list({})
  } as Record<string, ReadonlyArray<unknown>>
})

type Snapshot = Effect.Effect.Success<typeof snapshot>

const bigintSafe = (_: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)

/** The stores whose records differ between two snapshots (by value, after a cheap by-reference pass). */
const changedStores = (a: Snapshot, b: Snapshot): ReadonlyArray<string> =>
  Object.keys(a).filter((k) => {
    const x = a[k]!
    const y = b[k]!
    if (x.length === y.length && x.every((r, i) => r === y[i])) return false
    return JSON.stringify(x, bigintSafe) !== JSON.stringify(y, bigintSafe)
  })

interface Built {
  readonly request: Request
  readonly describe: string
}

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "*/*"]

const RAW_SEGMENTS = ["%", "%zz", "%00", "%c0%ae%c0%ae", "..", ".", "%2e%2e", "a%2Fb", "%ff%fe", "%E0%A4%A"]

/** One hostile request for `op`; identifiers learnt from earlier 2xx answers are filled in at build time. */
const requestFor = (doc: any, op: Operation, pools: Pools, token: string) => {
  const pathParams = op.parameters.filter((p) => p.in === "path")
  const queryParams = op.parameters.filter((p) => p.in === "query")
  const headerParams = op.parameters.filter((p) => p.in === "header")
  const segment = (name: string, schema: any) =>
    fc.oneof(
      { weight: 8, arbitrary: fuzzValue(doc, schema, pools).map((v) => encodeSegment(asText(pools.fill(name, v)))) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) }
    )
  const queryValue = (name: string, schema: any) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant<ReadonlyArray<string>>([]) },
      { weight: 6, arbitrary: fuzzValue(doc, schema, pools).map((v) => [asText(pools.fill(name, v))]) },
      { weight: 1, arbitrary: fc.array(fuzzValue(doc, schema, pools), { minLength: 2, maxLength: 3 }).map((vs) => vs.map((v) => asText(pools.fill(name, v)))) }
    )
  const bodyArb: fc.Arbitrary<{ readonly text: string | undefined; readonly contentType: string | undefined }> = op.body !== undefined
    ? fc.oneof(
      { weight: 7, arbitrary: fuzzValue(doc, op.body, pools).map((v) => ({ text: toJsonText(pools.fill("", v)), contentType: "application/json" })) },
      { weight: 2, arbitrary: malformedBody.map((text) => ({ text, contentType: "application/json" })) },
      { weight: 1, arbitrary: fc.tuple(fuzzValue(doc, op.body, pools), fc.constantFrom(...CONTENT_TYPES)).map(([v, ct]) => ({ text: toJsonText(v), contentType: ct })) },
      { weight: 1, arbitrary: fc.constant({ text: undefined, contentType: undefined }) }
    )
    : fc.oneof(
      { weight: 6, arbitrary: fc.constant({ text: undefined, contentType: undefined }) },
      { weight: 1, arbitrary: fc.oneof(malformedBody, hostile.map(toJsonText)).map((text) => ({ text, contentType: "application/json" })) }
    )
  const auth = fc.oneof(
    { weight: op.bearer ? 6 : 1, arbitrary: fc.constant(`Bearer ${token}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS, "Bearer", "Bearer ", `Basic ${btoa("a:b")}`, `Bearer ${token}x`, `Bearer ${token.split(".").slice(0, 2).join(".")}.`) }
  )
  return fc.record({
    segments: fc.tuple(...pathParams.map((p) => segment(p.name, p.schema))),
    query: fc.tuple(...queryParams.map((p) => queryValue(p.name, p.schema))),
    extraQuery: fc.array(fc.tuple(fc.constantFrom(...INJECTIONS, "limit", "offset", "__proto__[polluted]"), hostile.map(asText)), { maxLength: 2 }),
    headers: fc.tuple(...headerParams.map((p) =>
      fc.oneof(fc.constant(undefined), fc.constant(p.name === "x-admin-key" ? ADMIN_KEY : undefined), hostile.map(asText))
    )),
    extraHeader: fc.option(fc.tuple(fc.constantFrom("x-forwarded-for", "x-real-ip", "cookie", "origin", "x-admin-key", "content-length-x"), hostile.map(asText))),
    auth,
    body: bodyArb
  }).map((r): Built => {
    let i = 0
    const path = op.path.replace(/\{[^}]+\}/g, () => r.segments[i++] ?? "")
    const params = new URLSearchParams()
    queryParams.forEach((p, j) => r.query[j]!.forEach((v) => params.append(p.name, v)))
    for (const [k, v] of r.extraQuery) params.append(k, v)
    const qs = params.toString()
    const url = `http://relaygate.test${path}${qs === "" ? "" : `?${qs}`}`
    const headers = new Headers()
    const setHeader = (k: string, v: string | undefined) => {
      if (v === undefined) return
      try {
        headers.set(k, v)
      } catch {
        // a value no client can send (NUL, CR/LF): not a request the server can receive either
      }
    }
    headerParams.forEach((p, j) => setHeader(p.name, r.headers[j]))
    if (r.extraHeader !== null) setHeader(r.extraHeader[0], r.extraHeader[1])
    setHeader("authorization", r.auth)
    setHeader("content-type", r.body.contentType)
    const text = op.method === "GET" ? undefined : r.body.text
    const request = new Request(url, { method: op.method, headers, ...(text === undefined ? {} : { body: text }) })
    const shown = (r.body.text ?? "").length > 300 ? `${r.body.text!.slice(0, 300)}… (${r.body.text!.length} chars)` : r.body.text
    return { request, describe: `${op.method} ${url.length > 400 ? `${url.slice(0, 400)}…` : url} headers=${JSON.stringify([...headers])} body=${shown}` }
  })
}

/** Unknown routes under each module's prefixes: 404 (or 405) with the module's body. */
const unknownRoute = (prefixes: ReadonlyArray<string>): Operation => ({ method: "GET", path: prefixes[0] === "/" ? "/nope/{x}" : `${prefixes[0]}/nope/{x}`, parameters: [{ name: "x", in: "path", required: true, schema: {} }], body: undefined, bearer: false })

/** A plain throw: thousands of requests per test make vitest's expect a noticeable cost. */
const check = (ok: boolean, message: string) => {
  if (!ok) throw new Error(message)
}

const withTimeout = <A>(p: Promise<A>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms).unref())])

interface Stats {
  requests: number
  byStatus: Record<string, number>
}

/**
 * The same app over a loopback socket, through the connection guard
 * (limits.ts) that the in-process handler bypasses: fewer requests, since
 * each costs a socket round trip.
 */
const overTcp = Effect.map(startApp(ENV), (app): InProcessApp => ({
  context: app.context,
  handle: async (request) => {
    const url = new URL(request.url)
    const body = request.method === "GET" ? undefined : await request.arrayBuffer()
    return fetch(`${app.baseUrl}${url.pathname}${url.search}`, {
      method: request.method,
      // fetch refuses to send a header value with control characters (the in-process run and
      // hostile-input.test.ts's raw sockets cover those); the rest of the request goes as generated.
      headers: [...request.headers].filter(([, value]) => !/[^\t\x20-\x7e\x80-\xff]/.test(value)),
      redirect: "manual",
      // A hang shows as an abort well before REQUEST_TIMEOUT_SECONDS would answer it 408.
      signal: AbortSignal.timeout(15_000),
      ...(body === undefined || body.byteLength === 0 ? {} : { body })
    })
  }
}))

/** Sends `requests` generated requests spread over the module's operations and checks every answer; returns counts per status. */
const fuzzModule = <E>(module: Module, target: Effect.Effect<InProcessApp, E, Scope.Scope>, requests: number) =>
  Effect.gen(function*() {
    const app = yield* target
    const runtime = yield* Effect.runtime<never>()
    // The memory stores answer synchronously; runSync keeps the per-request snapshot cheap.
    const runEffect = Runtime.runSync(runtime)
    const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
    const token = yield* Effect.promise(() => jwt(now))
    const docResponse = yield* Effect.promise(() => app.handle(new Request("http://relaygate.test/docs-json")))
    const doc = yield* Effect.promise(() => docResponse.json())
    const runs = runsPerOperation(requests, operations(doc).length + 3)
    const ops = [
      ...operations(doc).filter((op) => moduleOf(op.path) === module),
      unknownRoute(module === "ark" ? ["/"] : module === "epochs" ? epochsErrorBodies.prefixes : clearingErrorBodies.prefixes)
    ]
    const pools = new Pools()
    const stats: Stats = { requests: 0, byStatus: {} }
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).length
    const readStores = () => runEffect(snapshot.pipe(Effect.provide(app.context)))

    yield* Effect.promise(async () => {
      let before = readStores()
      for (const op of ops) {
        await fc.assert(
          fc.asyncProperty(requestFor(doc, op, pools, token), async ({ describe, request }) => {
            const response = await withTimeout(app.handle(request), 20_000, describe)
            const text = await response.text()
            stats.requests++
            stats.byStatus[response.status] = (stats.byStatus[response.status] ?? 0) + 1
            const where = `${describe}\n→ ${response.status} ${text.slice(0, 600)}`
            check(response.status < 500 || notConfigured(op, response.status, text), `5xx: ${where}`)
            check(response.headers.get("x-content-type-options") === "nosniff" && response.headers.has("content-security-policy"), `no security headers: ${where}`)
            const isJson = (response.headers.get("content-type") ?? "").includes("application/json")
            let body: unknown = undefined
            try {
              body = JSON.parse(text)
            } catch {
              check(!isJson, `a JSON content-type with a body that does not parse: ${where}`)
            }
            // Pages, scripts and metrics text are not scanned (a JS bundle may well say "TypeError"); every JSON and error body is.
            if (isJson || response.status >= 400) for (const leak of LEAKS) check(!leak.test(text), `${leak} in ${where}`)
            if (response.status >= 400) {
              check(hasModuleBody(moduleOf(new URL(request.url).pathname), response.status, body), `not the ${module} error body: ${where}`)
            }
            const after = readStores()
            if (response.status >= 400) {
              const changed = changedStores(before, after)
              check(changed.length === 0, `a refused request changed ${changed.join(", ")}: ${where}`)
            } else if (isJson) {
              pools.harvest(body)
            }
            check(({} as any).polluted === undefined && Object.getOwnPropertyNames(Object.prototype).length === prototypeKeys, `Object.prototype polluted by ${where}`)
            before = after
          }),
          { numRuns: runs, endOnFailure: true }
        )
      }
    })
    return stats
  })

describe("route fuzzing from /docs-json", () => {
  const totals: Record<Module, Stats | undefined> = { ark: undefined, epochs: undefined, clearing: undefined }

  for (const module of ["ark", "epochs", "clearing"] as const) {
    it.scoped(`${module}: hostile path, query, header and body values get a 2xx or a 4xx with the module's body, and a refusal changes no store`, () =>
      Effect.gen(function*() {
        const stats = yield* fuzzModule(module, inProcessApp(ENV), REQUESTS_PER_RUN)
        totals[module] = stats
        console.log(`fuzz ${module}: ${stats.requests} requests, by status ${JSON.stringify(stats.byStatus)}`)
        // Most generated requests must be refused, or the generator is not hostile enough to mean anything.
        const refused = Object.entries(stats.byStatus).filter(([s]) => Number(s) >= 400).reduce((n, [, c]) => n + c, 0)
        expect(refused / stats.requests).toBeGreaterThan(0.4)
      }), 600_000)
  }

  it.scoped("over TCP, through the connection guard: the same checks on every module, and every request answered within 15 s", () =>
    Effect.gen(function*() {
      for (const module of ["ark", "epochs", "clearing"] as const) {
        const stats = yield* fuzzModule(module, overTcp, TCP_REQUESTS_PER_RUN)
        console.log(`fuzz over TCP ${module}: ${stats.requests} requests, by status ${JSON.stringify(stats.byStatus)}`)
      }
    }), 600_000)

  it("sent at least 20,000 generated requests in all", () => {
    const sent = Object.values(totals).reduce((n, s) => n + (s?.requests ?? 0), 0)
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS)
  })
})
