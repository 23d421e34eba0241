import { randomUUID } from "node:crypto"
import { HttpApi, HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { type Context, Effect, Exit, LogLevel } from "effect"
import { Metrics } from "../../ports/metrics.js"
import { RelaygateApi } from "./api.js"
import { routePattern } from "./route-pattern.js"

interface Template {
  readonly method: string
  readonly route: string
  readonly pattern: RegExp
  /** Literal characters: a static route beats a parameterised one that also matches. */
  readonly weight: number
}

/** Routes served next to the API contract. */
const EXTRA_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ["GET", "/docs"],
  ["GET", "/docs-json"],
  ["GET", "/api/v1/ws"]
]

const templates: ReadonlyArray<Template> = (() => {
  const out: Array<Template> = []
  const add = (method: string, route: string) =>
    out.push({
      method,
      route,
      pattern: routePattern(route),
      weight: route.replace(/:[^/]+/g, "").length
    })
  HttpApi.reflect(RelaygateApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => add(endpoint.method, endpoint.path)
  })
  for (const [m, r] of EXTRA_ROUTES) add(m, r)
  return out.sort((a, b) => b.weight - a.weight)
})()

/**
 * The route template a request matched (`/sessions/:session_id/challenge`),
 * so metrics have one series per route rather than per session id; anything
 * else is `unmatched`, which keeps scanners from growing the label set.
 */
export const routeOf = (method: string, path: string): string => {
  const m = method === "HEAD" ? "GET" : method
  return templates.find((t) => t.method === m && t.pattern.test(path))?.route ?? "unmatched"
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The client's X-Request-Id when it is a sane token, else a fresh UUID. */
export const requestIdOf = (given: string | undefined): string => given !== undefined && REQUEST_ID.test(given) ? given : randomUUID()

interface AnsweredRequest {
  readonly requestId: string
  readonly method: string
  readonly path: string
  readonly route: string
  readonly status: number
  readonly seconds: number
}

const accessLog = (r: AnsweredRequest) =>
  Effect.logInfo("http request").pipe(
    Effect.annotateLogs({
      request_id: r.requestId,
      method: r.method,
      path: r.path,
      route: r.route,
      status: r.status,
      duration_ms: Math.round(r.seconds * 100_000) / 100
    })
  )

/**
 * One answered request: its count and latency by route template and status, 429s as refusals, one
 * access log line. Runs on every request: no span of its own, and the log line's annotations (a
 * fiber-ref swap) are only built when info lines are written at all.
 */
export const recordRequest = (metrics: Context.Tag.Service<Metrics>, r: AnsweredRequest): Effect.Effect<void> => {
  const labels = { method: r.method, route: r.route, status: String(r.status) }
  const counted = Effect.zipRight(
    metrics.increment("relaygate_http_requests_total", labels),
    metrics.observe("relaygate_http_request_duration_seconds", labels, r.seconds)
  )
  return Effect.zipRight(
    r.status === 429 ? Effect.zipRight(counted, metrics.increment("relaygate_rate_limit_refusals_total", { route: r.route })) : counted,
    Effect.asVoid(Effect.whenLogLevel(Effect.suspend(() => accessLog(r)), LogLevel.Info))
  )
}

/**
 * Every request: an id (the client's X-Request-Id when it is a sane token,
 * else a fresh UUID) echoed in the response and carried by every log line the
 * request causes; one access log line (path without query string, which may
 * hold ?admin_key=); request count and latency by route template and status;
 * 429s counted as rate-limit refusals.
 */
export const observeRequests = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | Metrics> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const metrics = yield* Metrics
    const requestId = requestIdOf(request.headers["x-request-id"])
    const path = request.url.split("?")[0] ?? "/"
    // The server writes the response before outer middleware sees it, so the header goes on as a pre-response handler.
    yield* HttpApp.appendPreResponseHandler((_req, res) => Effect.succeed(HttpServerResponse.setHeader(res, "x-request-id", requestId)))
    const t0 = performance.now()
    const exit = yield* app.pipe(Effect.annotateLogs({ request_id: requestId }), Effect.exit)
    // A failure that reached this far has no response yet; the server answers 500 for it.
    const status = Exit.isSuccess(exit) ? exit.value.status : Exit.isInterrupted(exit) ? 499 : 500
    yield* recordRequest(metrics, {
      requestId,
      method: request.method,
      path,
      route: routeOf(request.method, path),
      status,
      seconds: (performance.now() - t0) / 1000
    })
    return yield* exit
  })
