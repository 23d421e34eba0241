import { HttpServer } from "@effect/platform"
import { ConfigProvider, Context, Effect, Layer, Option } from "effect"
import { ServicesLive } from "../../apps/app.js"
import { FastPath } from "../../apps/http/fast-path.js"
import { FastPathLive, guardedServer, HttpAppLive } from "../../apps/http/server.js"

export interface RunningApp {
  readonly baseUrl: string
  /** The app's services, for tests that need to reach behind the HTTP API (simulator controls). */
  readonly context: Context.Context<Layer.Layer.Success<typeof ServicesLive>>
  /** How many requests the fast path answered (none when HTTP_FAST_PATH=false). */
  readonly fastPathServed: () => number
}

/**
 * The app shares the test's event loop: the test's own CPU work must not read as overload and be shed.
 * Signatures are verified on that loop too: a verifier thread per app would start hundreds of threads
 * over the suite; the thread pool has its own contract suite and end-to-end test.
 */
export const IN_PROCESS_DEFAULTS = { MAX_EVENT_LOOP_DELAY_MS: "60000", VERIFY_THREADS: "0" }

/**
 * Boots the real HTTP app (every route, middleware, error body and request
 * limit, the fast path) on a free loopback port inside the test's scope, configured only by `env`. It runs on
 * the test's clock, so `TestClock.adjust` moves its deadlines.
 */
export const startApp = (env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const services = yield* Layer.build(ServicesLive)
    const server = yield* Layer.build(
      Layer.merge(HttpAppLive, FastPathLive).pipe(
        Layer.provideMerge(guardedServer({ port: 0, host: "127.0.0.1" })),
        Layer.provide(Layer.succeedContext(services))
      )
    )
    const address = Context.get(server, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    const fast = Context.getOption(server as Context.Context<unknown>, FastPath)
    return {
      baseUrl: `http://127.0.0.1:${address.port}`,
      context: services,
      fastPathServed: () => Option.match(fast, { onNone: () => 0, onSome: (f) => f.served() })
    } satisfies RunningApp
  }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ ...IN_PROCESS_DEFAULTS, ...env })))))

export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** fetch + JSON, as a client would; `body` is the parsed JSON (or the raw text when it is not JSON). */
export const request = (baseUrl: string, method: string, path: string, body?: unknown, init: RequestInit = {}) =>
  Effect.promise(async (): Promise<JsonResponse> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } }),
      ...init
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON: tests assert on the text
    }
    return { status: res.status, headers: res.headers, body: parsed }
  })

/** `request` bound to one base URL, with an optional bearer token (the clearing module's JWT). */
export const jsonClient = (baseUrl: string) => (method: string, path: string, o: { body?: unknown; token?: string } = {}) =>
  request(
    baseUrl,
    method,
    path,
    o.body,
    o.token === undefined
      ? {}
      : { headers: { ...(o.body === undefined ? {} : { "content-type": "application/json" }), authorization: `Bearer ${o.token}` } }
  )
