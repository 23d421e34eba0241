import type { IncomingMessage, ServerResponse } from "node:http"
import { HttpApi, HttpServerResponse, UrlParams } from "@effect/platform"
import { Cause, Clock, Context, Effect, Either, Exit, FiberRef, HashMap, Layer, Option, Runtime, Schema } from "effect"
import { CorsConfig, ServerConfig } from "../config.js"
import { CurrentRateLimit } from "../../ports/rate-limiter.js"
import { Metrics } from "../../ports/metrics.js"
import { RelaygateApi } from "./api.js"
import { pick } from "./error-bodies.js"
import { rateLimitHeadersFor } from "./epochs/requests.js"
import { jsonDeeperThan, readCappedThen, ServerGuard } from "./limits.js"
import { moduleOfRoute } from "./modules.js"
import { recordRequest, requestIdOf } from "./observe.js"
import { routePattern } from "./route-pattern.js"
import { securityHeadersFor } from "./security.js"

/*
 * The hot signed routes answered straight from Node's request event, past the
 * HttpApi router and middleware stack, whose fixed cost per request was two to
 * three signature verifications (bench/README.md, rows 3–4). Same contract by
 * construction: the route's own schemas decode the input, its own handler runs,
 * its declared success and error schemas encode the answer with their statuses,
 * and the same limits, headers, metrics and access log apply. Whatever the fast
 * path would answer differently from the routes — CORS, a body that does not
 * decode, a limit that refuses, a full in-flight bound — it hands back before
 * any use case runs, with the body it read, and the routes answer as always.
 */

/** One route the fast path serves: its endpoint in RelaygateApi and the handler the group runs. */
export interface FastRoute {
  readonly group: string
  readonly endpoint: string
  readonly handle: (request: {
    readonly path: never
    readonly urlParams: never
    readonly payload: never
  }) => Effect.Effect<unknown, unknown>
  /** Whether the group puts the limiter's X-RateLimit-* headers on its answers (epochs). */
  readonly rateLimitHeaders: boolean
}

export class FastRoutes extends Context.Tag("relaygate/http/FastRoutes")<FastRoutes, ReadonlyArray<FastRoute>>() {}

type Decoder = (input: unknown) => Either.Either<unknown, unknown>

interface Compiled {
  readonly route: FastRoute
  readonly method: "GET" | "POST"
  readonly template: string
  readonly pattern: RegExp
  readonly decodePath: Option.Option<Decoder>
  readonly decodeUrlParams: Option.Option<Decoder>
  readonly decodePayload: Option.Option<Decoder>
  readonly success: { readonly status: number; readonly encode: (a: unknown) => unknown }
  /** Each declared error status with its schema, as the router encodes failures. */
  readonly errors: ReadonlyArray<{ readonly status: number; readonly is: (u: unknown) => boolean; readonly encode: (e: unknown) => unknown }>
  /** Its answers' security headers: they depend on the path only for the docs pages, which no fast route is. */
  readonly security: Readonly<Record<string, string>>
}

const compile = (route: FastRoute): Compiled => {
  let found: Compiled | undefined
  HttpApi.reflect(RelaygateApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, errors, group, successes }) => {
      if (group.identifier !== route.group || endpoint.name !== route.endpoint) return
      if (endpoint.method !== "GET" && endpoint.method !== "POST") throw new Error(`fast path: ${endpoint.method} is not served`)
      const [status, success] = [...successes][0] ?? [200, { ast: Option.none() }]
      // The endpoint's schemas are typed for its handler; here only unknown goes in and out.
      const decoder = (schema: Option.Option<unknown>): Option.Option<Decoder> =>
        Option.map(schema, (s) => Schema.decodeUnknownEither(s as Schema.Schema<unknown, unknown>))
      found = {
        route,
        method: endpoint.method,
        template: endpoint.path,
        pattern: routePattern(endpoint.path),
        decodePath: decoder(endpoint.pathSchema),
        decodeUrlParams: decoder(endpoint.urlParamsSchema),
        decodePayload: decoder(endpoint.payloadSchema),
        success: {
          status,
          encode: Option.match(success.ast, { onNone: () => () => undefined, onSome: (ast) => Schema.encodeSync(Schema.make(ast)) })
        },
        errors: [...errors].flatMap(([status, { ast }]) =>
          Option.match(ast, {
            onNone: () => [],
            onSome: (a) => [{ status, is: Schema.is(Schema.make(a)), encode: Schema.encodeSync(Schema.make(a)) }]
          })
        ),
        security: securityHeadersFor(endpoint.path)
      }
    }
  })
  if (found === undefined) throw new Error(`fast path: no endpoint ${route.group}.${route.endpoint} in RelaygateApi`)
  return found
}

const isJson = (contentType: string | undefined) => contentType !== undefined && /^application\/json\s*(?:;|$)/i.test(contentType)

/** Path parameters as the router hands them over (percent-decoded), or None when one does not decode. */
const pathParams = (groups: Record<string, string> | undefined): Option.Option<Record<string, string>> => {
  const out: Record<string, string> = {}
  try {
    for (const [k, v] of Object.entries(groups ?? {})) out[k] = decodeURIComponent(v)
  } catch {
    return Option.none()
  }
  return Option.some(out)
}

/** A request's input as its route's schemas decoded it. */
interface Decoded {
  readonly path: unknown
  readonly urlParams: unknown
  readonly payload: unknown
}

/**
 * JSON as a string body: Node writes a string straight after the head in one write, where a
 * Uint8Array (the platform's JSON body) is first encoded by TextEncoder, then wrapped in a Buffer.
 */
const json = (body: unknown, status: number) => HttpServerResponse.raw(JSON.stringify(body), { status, contentType: "application/json" })

/** The bytes or text a response carries, with their type: the fast path's JSON strings and the module bodies' bytes. */
const contentOf = (body: HttpServerResponse.HttpServerResponse["body"]): { readonly type: string; readonly content: Uint8Array | string } | undefined =>
  body._tag === "Uint8Array"
    ? { type: body.contentType, content: body.body }
    : body._tag === "Raw" && typeof body.body === "string"
    ? { type: body.contentType ?? "application/json", content: body.body }
    : undefined

const write = (res: ServerResponse, response: HttpServerResponse.HttpServerResponse, extra?: Readonly<Record<string, string>>) => {
  const headers: Record<string, string> = { ...response.headers, ...extra }
  const body = contentOf(response.body)
  if (body !== undefined) {
    headers["content-type"] = body.type
    headers["content-length"] = String(typeof body.content === "string" ? Buffer.byteLength(body.content) : body.content.length)
  }
  res.writeHead(response.status, headers)
  res.end(body?.content)
}

export const make = Effect.gen(function*() {
  const guard = yield* ServerGuard
  const { modules } = yield* ServerConfig
  // A route of an unmounted module answers 404 through the router (modules.ts): the fast path leaves it alone.
  const routes = (yield* FastRoutes).map(compile).filter((c) => {
    const owner = moduleOfRoute(c.method, c.template)
    return owner === undefined || modules.has(owner)
  })
  const cors = Option.isSome(yield* CorsConfig)
  const metrics = yield* Metrics
  // The handlers were built with their services (a FastRoute's handle requires none), so a request's fiber
  // runs on an empty context: every span and provideService on the way swaps the fiber's context, and the
  // runtime copies it and compares it with the old one entry by entry, which on the app's context (80
  // services) was a tenth of the event loop's time.
  const { fiberRefs, runtimeFlags } = yield* Effect.runtime<never>()
  const fork = Runtime.runFork(Runtime.make({ context: Context.empty(), fiberRefs, runtimeFlags }))
  const { limits } = guard
  let served = 0
  // A handler that answers with the very value it answered last (the current epoch's view, memoized) gets
  // the response built then: encoding is pure, and the response and its body are never changed once built.
  const lastSuccess = new Map<Compiled, { readonly value: unknown; readonly response: HttpServerResponse.HttpServerResponse }>()
  const success = (c: Compiled, value: unknown) => {
    const last = lastSuccess.get(c)
    if (last !== undefined && last.value === value) return last.response
    const response = json(c.success.encode(value), c.success.status)
    lastSuccess.set(c, { value, response })
    return response
  }

  /** The input through the route's schemas, or undefined when one refuses it (the routes then answer as always). */
  const decode = (c: Compiled, params: Record<string, string>, query: string, body: string | undefined): Decoded | undefined => {
    let payload: unknown
    if (body !== undefined) {
      if (jsonDeeperThan(body, limits.maxJsonDepth)) return undefined
      try {
        payload = JSON.parse(body)
      } catch {
        return undefined
      }
    }
    const run = (decoder: Option.Option<Decoder>, input: () => unknown): Either.Either<unknown, unknown> =>
      Option.isSome(decoder) ? decoder.value(input()) : Either.right(undefined)
    const path = run(c.decodePath, () => params)
    if (Either.isLeft(path)) return undefined
    const urlParams = run(c.decodeUrlParams, () => UrlParams.toRecord(UrlParams.fromInput(new URLSearchParams(query))))
    if (Either.isLeft(urlParams)) return undefined
    const decoded = run(c.decodePayload, () => payload)
    if (Either.isLeft(decoded)) return undefined
    return { path: path.right, urlParams: urlParams.right, payload: decoded.right }
  }

  /** The router's answer for the handler's exit: the success or declared error through its schema, else the module's 500. */
  const render = (c: Compiled, req: IncomingMessage, exit: Exit.Exit<unknown, unknown>): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
    if (Exit.isSuccess(exit)) return Effect.succeed(success(c, exit.value))
    if (Cause.isInterruptedOnly(exit.cause)) return Effect.interrupt
    const failure = Cause.failureOption(exit.cause)
    const declared = Option.isSome(failure) ? c.errors.find((e) => e.is(failure.value)) : undefined
    if (declared !== undefined && Option.isSome(failure)) return Effect.succeed(json(declared.encode(failure.value), declared.status))
    return Effect.as(
      Effect.logError("unhandled failure", exit.cause).pipe(Effect.annotateLogs({ method: req.method ?? "", route: c.template })),
      pick(guard.modules, c.template).internal()
    )
  }

  /** With the limiter's headers on it, for the groups that add them: the decision the handler left in CurrentRateLimit. */
  const withRateLimit = (response: HttpServerResponse.HttpServerResponse) =>
    Effect.flatMap(FiberRef.get(CurrentRateLimit), (decision) =>
      Option.isNone(decision)
        ? Effect.succeed(response)
        : Effect.map(Clock.currentTimeMillis, (now) => HttpServerResponse.setHeaders(response, rateLimitHeadersFor(decision.value, now))))

  /** The handler's answer, as the router renders it (combinators rather than generators: this runs on every request). */
  const answer = (c: Compiled, req: IncomingMessage, input: Decoded) =>
    Effect.suspend(() => {
      served++
      const rendered = Effect.flatMap(Effect.exit(c.route.handle(input as Parameters<FastRoute["handle"]>[0])), (exit) => render(c, req, exit))
      return c.route.rateLimitHeaders
        ? Effect.zipRight(FiberRef.set(CurrentRateLimit, Option.none()), Effect.flatMap(rendered, withRateLimit))
        : rendered
    })

  const serve = (c: Compiled, req: IncomingMessage, res: ServerResponse, path: string, input: Decoded, body: string | undefined) =>
    Effect.gen(function*() {
      const t0 = performance.now()
      const requestId = requestIdOf(req.headers["x-request-id"] as string | undefined)
      // The fiber is this request's alone, so the annotation is set for the rest of it rather than
      // scoped with annotateLogs (whose restore on exit tripled its cost).
      yield* FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set("request_id", requestId as unknown))
      const admitted = yield* guard.tryAdmit(answer(c, req, input))
      if (Option.isNone(admitted)) return guard.handOver(req, res, body)
      const response = admitted.value
      write(res, response, guard.admission.draining ? { ...c.security, "x-request-id": requestId, connection: "close" } : { ...c.security, "x-request-id": requestId })
      yield* recordRequest(metrics, { requestId, method: c.method, path, route: c.template, status: response.status, seconds: (performance.now() - t0) / 1000 })
    })

  /**
   * With the body read (outside any fiber: waiting for it in one cost a suspension and a resumption per
   * request) and the input decoded, the handler runs in a fiber of its own; anything the fast path would
   * answer differently from the routes goes back to them with the body.
   */
  const start = (c: Compiled, req: IncomingMessage, res: ServerResponse, path: string, params: Record<string, string>, query: string, body: string | undefined) => {
    const input = decode(c, params, query, body)
    if (input === undefined) return guard.handOver(req, res, body)
    fork(serve(c, req, res, path, input, body).pipe(
      Effect.catchAllCause((cause) =>
        Effect.sync(() => {
          if (!res.headersSent) write(res, pick(guard.modules, path).internal())
        }).pipe(Effect.zipRight(Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError("fast path failed", cause)))
      )
    ))
  }

  /** Takes the request when a fast route serves it and nothing the general middleware answers itself applies. */
  const take = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const path = q === -1 ? url : url.slice(0, q)
    const c = routes.find((r) => r.method === req.method && r.pattern.test(path))
    if (c === undefined) return false
    if (guard.admission.draining || guard.lagging() || guard.overCap(req.socket) || guard.overAtArrival(req)) return false
    if (url.length > limits.maxUrlLength || (cors && req.headers.origin !== undefined) || req.headers.expect !== undefined) return false
    const declared = req.headers["content-length"]
    if (c.method === "POST") {
      if (!isJson(req.headers["content-type"]) || req.headers["transfer-encoding"] !== undefined) return false
      if (declared === undefined || !/^\d+$/.test(declared) || Number(declared) > limits.maxBodyBytes) return false
    } else if ((declared !== undefined && declared !== "0") || req.headers["transfer-encoding"] !== undefined) return false
    const params = pathParams(c.pattern.exec(path)?.groups)
    if (Option.isNone(params)) return false
    const query = q === -1 ? "" : url.slice(q + 1)
    if (c.method === "GET") start(c, req, res, path, params.value, query, undefined)
    else {
      readCappedThen(req, limits.maxBodyBytes, (body) => {
        if (body === "too large" || body === "unreadable") guard.handOver(req, res)
        else start(c, req, res, path, params.value, query, body)
      })
    }
    return true
  }

  guard.intercept(take)
  return { served: () => served }
})

/** How many requests the fast path answered itself (tests check it serves what it should). */
export class FastPath extends Context.Tag("relaygate/http/FastPath")<FastPath, { readonly served: () => number }>() {}

export const layer = Layer.effect(FastPath, make)
