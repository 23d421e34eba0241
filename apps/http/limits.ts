import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http"
import * as Net from "node:net"
import type { Duplex } from "node:stream"
import { type HttpApp, HttpServerRequest, HttpServerResponse, Multipart } from "@effect/platform"
import { Cause, Context, Duration, Effect, Exit, Fiber, Layer, Option } from "effect"
import { LimitsConfig } from "../config.js"
import { type ModuleErrorBodies, pick, type Refusal } from "./error-bodies.js"
import { securityHeadersFor } from "./security.js"

/*
 * What one client may send and hold, and how much work the process takes on
 * at once (LimitsConfig). Everything here runs before routing and before any
 * body is parsed: Node refuses oversized headers and slow clients itself
 * (clientError below), the middleware refuses long URLs, declared or streamed
 * oversized bodies, over-deep JSON, sockets over the per-IP cap and requests
 * beyond the admission bound. Each refusal is the owning module's error body.
 */

export const WS_PATH = "/api/v1/ws"

/** Liveness keeps answering while the server sheds load: a busy process is not a dead one. */
const UNMETERED = new Set(["/health"])

/** What a slow WebSocket reader may leave unsent before it is closed (1013): bounds each socket's send buffer. */
export const WS_MAX_BUFFERED_BYTES = 1024 * 1024

/** Bodies the fast path read before handing a request back (fast-path.ts): the socket has no more of them. */
const readBodies = new WeakMap<IncomingMessage, string>()

/** Bytes that arrived after an upgrade request's headers, for the WebSocket route's own upgrade (ws.ts). */
const upgradeHeads = new WeakMap<IncomingMessage, Buffer>()
export const upgradeHead = (request: IncomingMessage): Buffer => upgradeHeads.get(request) ?? Buffer.alloc(0)

interface Admission {
  inFlight: number
  queued: number
  draining: boolean
}

export interface ServerGuardService {
  readonly server: Server
  readonly limits: LimitsConfig
  readonly modules: ReadonlyArray<ModuleErrorBodies>
  readonly overCap: (socket: Duplex) => boolean
  /** Whether the request arrived while the process already held more requests than admission allows. */
  readonly overAtArrival: (request: IncomingMessage) => boolean
  readonly admission: Readonly<Admission>
  /** Runs one request under the admission bound: now, after a bounded wait, or a 503. */
  readonly admit: <E, R>(
    bodies: ModuleErrorBodies,
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  /** SIGTERM: stop accepting, let in-flight work finish within SHUTDOWN_TIMEOUT_SECONDS, then answer the rest 503. */
  readonly drain: Effect.Effect<void>
  /** Whether the event loop is late enough that admission sheds new work. */
  readonly lagging: () => boolean
  /** Runs `work` only if an in-flight slot is free right now (counted like any request), else None. */
  readonly tryAdmit: <A, E, R>(work: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  /**
   * Offers each arriving request to `take` first (fast-path.ts): when it returns true the request is
   * its to answer or to hand back with `handOver`, else the routes get it as usual.
   */
  readonly intercept: (take: (request: IncomingMessage, response: ServerResponse) => boolean) => void
  /** Hands a request back to the routes; `body` is its text when it was already read from the socket. */
  readonly handOver: (request: IncomingMessage, response: ServerResponse, body?: string) => void
}

/** The Node server relaygate listens with, and its admission state. */
export class ServerGuard extends Context.Tag("relaygate/http/ServerGuard")<ServerGuard, ServerGuardService>() {}

const retryAfter = (seconds: number) => ({ "retry-after": String(seconds) })

export const refusals = {
  bodyTooLarge: (limit: number): Refusal => ({
    status: 413, code: "PAYLOAD_TOO_LARGE", message: `The request body is larger than ${limit} bytes`, details: { limit_bytes: limit }
  }),
  urlTooLong: (limit: number): Refusal => ({
    status: 414, code: "URI_TOO_LONG", message: `The request URL is longer than ${limit} characters`, details: { limit_chars: limit }
  }),
  headersTooLarge: (limit: number): Refusal => ({
    status: 431, code: "HEADERS_TOO_LARGE", message: `The request line and headers are larger than ${limit} bytes`, details: { limit_bytes: limit }
  }),
  timeout: (seconds: number): Refusal => ({
    status: 408, code: "REQUEST_TIMEOUT", message: `The request did not arrive within ${seconds} s`, details: { limit_seconds: seconds }
  }),
  tooManyConnections: (limit: number): Refusal => ({
    status: 429, code: "TOO_MANY_CONNECTIONS", message: `More than ${limit} open connections from this address`, details: { limit_connections: limit }
  }),
  overloaded: (): Refusal => ({
    status: 503, code: "OVERLOADED", message: "The server is at capacity; retry shortly", details: {}
  }),
  shuttingDown: (): Refusal => ({
    status: 503, code: "SHUTTING_DOWN", message: "The server is shutting down; retry on another replica", details: {}
  }),
  malformed: (): Refusal => ({ status: 400, code: "BAD_REQUEST", message: "Malformed HTTP request", details: {} })
}

/** Deeper than `max` nested arrays/objects? One pass over the text, before JSON.parse sees it. */
export const jsonDeeperThan = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > max) return true
    } else if (c === 125 || c === 93) depth--
  }
  return false
}

/** The path of the request line at the start of a raw packet (what Node could not parse), if there is one. */
const requestLine = (raw: Buffer | undefined): { readonly path: string; readonly length: number } | undefined => {
  if (raw === undefined) return undefined
  const head = raw.subarray(0, 64 * 1024).toString("latin1")
  const m = /^[A-Z]+ (\S+)/.exec(head)
  if (m === null) return undefined
  const end = head.indexOf("\r\n")
  return { path: m[1]!.split("?")[0]!, length: end === -1 ? head.length : end }
}

/** A response written straight to the socket, for refusals Node makes before a request object exists. */
const writeRaw = (socket: Duplex, response: HttpServerResponse.HttpServerResponse, headers: Record<string, string> = {}) => {
  const body = response.body._tag === "Uint8Array" ? Buffer.from(response.body.body) : Buffer.alloc(0)
  const lines = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`,
    "content-type: application/json",
    `content-length: ${body.length}`,
    "connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)
  ]
  socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]), () => socket.destroy())
}

/**
 * The body as text, stopping at `max` bytes without destroying the socket
 * (the platform's own cap does, which would lose the 413), handed to `done`.
 */
export const readCappedThen = (source: IncomingMessage, max: number, done: (body: string | "too large" | "unreadable") => void) => {
  const chunks: Array<Buffer> = []
  let bytes = 0
  const finish = (result: string) => {
    source.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onError)
    done(result)
  }
  const onData = (chunk: Buffer) => {
    bytes += chunk.length
    if (bytes > max) {
      source.pause()
      finish("too large")
    } else chunks.push(chunk)
  }
  const onEnd = () => finish(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"))
  const onError = () => finish("unreadable")
  source.on("data", onData).once("end", onEnd).once("error", onError).once("aborted", onError)
}

/** `readCappedThen` as an effect. */
export const readCapped = (source: IncomingMessage, max: number) =>
  Effect.async<string | "too large" | "unreadable">((resume) => readCappedThen(source, max, (body) => resume(Effect.succeed(body))))

/**
 * The request as the routes see it, with its body already read: `text`, `json`,
 * `urlParamsBody` and `arrayBuffer` answer from `body`. The socket's bytes are
 * gone, so a multipart parser would wait for them forever (found by fuzzing:
 * any body sent as multipart/form-data or application/octet-stream hung until
 * the request timeout); the API takes JSON, so multipart is refused as a 400.
 */
const withText = (request: HttpServerRequest.HttpServerRequest, body: string): HttpServerRequest.HttpServerRequest =>
  Object.create(request, {
    text: { value: Effect.succeed(body) },
    arrayBuffer: { value: Effect.sync(() => new TextEncoder().encode(body).buffer as ArrayBuffer) },
    multipart: { value: Effect.fail(new Multipart.MultipartError({ reason: "Parse", cause: "the body was read as text before routing" })) }
  }) as HttpServerRequest.HttpServerRequest

const nodeRequest = (request: HttpServerRequest.HttpServerRequest): IncomingMessage | undefined => {
  const source = (request as unknown as { readonly source?: unknown }).source
  return typeof source === "object" && source !== null && "socket" in source ? (source as IncomingMessage) : undefined
}

export const make = (limits: LimitsConfig, modules: ReadonlyArray<ModuleErrorBodies>) =>
  Effect.gen(function*() {
    const headersTimeout = limits.headersTimeoutSeconds * 1000
    const server = createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      // Node checks both timeouts only this often (every 30 s by default), which would let a slow client stay far past them.
      connectionsCheckingInterval: Math.min(1000, Math.max(100, headersTimeout / 4))
    })

    const perIp = new Map<string, number>()
    const over = new WeakSet<Duplex>()
    if (limits.maxConnectionsPerIp > 0) {
      server.on("connection", (socket) => {
        const ip = socket.remoteAddress ?? "unknown"
        const n = (perIp.get(ip) ?? 0) + 1
        perIp.set(ip, n)
        if (n > limits.maxConnectionsPerIp) over.add(socket)
        socket.once("close", () => {
          const left = (perIp.get(ip) ?? 1) - 1
          if (left <= 0) perIp.delete(ip)
          else perIp.set(ip, left)
        })
      })
    }

    // Node's own answers here are bare text; these are the module's body, then the socket is closed.
    server.on("clientError", (err: NodeJS.ErrnoException & { readonly rawPacket?: Buffer }, socket: Duplex) => {
      const pending = (socket as unknown as { readonly _httpMessage?: ServerResponse | null })._httpMessage ?? undefined
      if (!socket.writable || pending?.headersSent === true) return socket.destroy()
      const line = requestLine(err.rawPacket)
      const refusal = err.code === "HPE_HEADER_OVERFLOW"
        ? line !== undefined && line.length > limits.maxUrlLength ? refusals.urlTooLong(limits.maxUrlLength) : refusals.headersTooLarge(limits.maxHeaderBytes)
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? refusals.timeout(pending === undefined ? limits.headersTimeoutSeconds : limits.requestTimeoutSeconds)
        : err.code?.startsWith("HPE_") === true
        ? refusals.malformed()
        : undefined
      if (refusal === undefined) return socket.destroy()
      const path = pending?.req.url?.split("?")[0] ?? line?.path ?? "/"
      writeRaw(socket, pick(modules, path).refused(refusal), securityHeadersFor(path))
    })

    // Kept for the WebSocket route, which does its own upgrade (to bound message sizes).
    server.prependListener("upgrade", (request: IncomingMessage, _socket: Duplex, head: Buffer) => {
      if (head.length > 0) upgradeHeads.set(request, head)
    })

    // Between Node's 'request' event and the admission check a request waits in the fiber scheduler's backlog,
    // which neither the in-flight count nor the queue sees: on an idle multi-core machine that backlog grew to
    // seconds with nothing shed. Counted here from arrival to answer, the excess is marked and answered 503
    // without running, so the process never holds more than the admission bound, wherever the requests wait.
    let held = 0
    const overOnArrival = new WeakSet<IncomingMessage>()
    const arrive = (request: IncomingMessage, response: ServerResponse) => {
      held++
      response.once("close", () => {
        held--
      })
      if (held > limits.maxInFlightRequests + limits.maxQueuedRequests) overOnArrival.add(request)
    }

    // Node offers a request to every 'request' listener; one that answers it alone (the fast path) has to see
    // it first and keep it from the routes' listener, which only a wrapped emit can do.
    let take: ((request: IncomingMessage, response: ServerResponse) => boolean) | undefined
    const emit = server.emit.bind(server) as (event: string | symbol, ...args: Array<unknown>) => boolean
    server.emit = ((event: string | symbol, ...args: Array<unknown>) => {
      if (event !== "request") return emit(event, ...args)
      const [request, response] = args as [IncomingMessage, ServerResponse]
      arrive(request, response)
      if (take !== undefined && take(request, response)) return true
      return emit(event, request, response)
    }) as typeof server.emit

    const admission: Admission = { inFlight: 0, queued: 0, draining: false }
    const slots = yield* Effect.makeSemaphore(limits.maxInFlightRequests)
    const queueTimeout = Duration.seconds(limits.queueTimeoutSeconds)

    // A CPU-bound process holds its backlog in socket buffers and the event loop, where the in-flight count
    // cannot see it: how late a short timer fires is the measure of that queue. The smallest of the last
    // three readings, so one long task (a signing step) is not taken for overload; a saturated loop is late every time.
    const TICK = 50
    const lags = [0, 0, 0]
    let lag = 0
    let expected = Date.now() + TICK
    const ticker = setInterval(() => {
      const now = Date.now()
      lags.shift()
      lags.push(Math.max(0, now - expected))
      lag = Math.min(...lags)
      expected = now + TICK
    }, TICK).unref()
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(ticker)))

    const shed = (bodies: ModuleErrorBodies) =>
      Effect.succeed(HttpServerResponse.setHeaders(bodies.refused(refusals.overloaded()), retryAfter(1)))

    /** Requests being handled; past the shutdown bound they are interrupted (their finalizers roll back) and answered 503. */
    const running = new Set<Fiber.RuntimeFiber<HttpServerResponse.HttpServerResponse, unknown>>()
    let pastDeadline = false

    /** Work counted in flight while it runs: the routes' requests and the fast path's alike. */
    const counted = <A, E, R>(work: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(Effect.sync(() => admission.inFlight++), () => work, () => Effect.sync(() => admission.inFlight--))

    const run = <E, R>(bodies: ModuleErrorBodies, app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
      counted(
        Effect.gen(function*() {
          // The platform runs requests uninterruptibly (the router makes its handlers interruptible): this
          // work is made so here, or the shutdown bound could not stop it.
          const fiber = yield* Effect.fork(Effect.interruptible(app))
          running.add(fiber)
          // Interruptible too: a client that goes away interrupts this fiber, and with it its child.
          const exit = yield* Effect.interruptible(Fiber.await(fiber)).pipe(Effect.ensuring(Effect.sync(() => running.delete(fiber))))
          if (Exit.isFailure(exit) && pastDeadline && Cause.isInterruptedOnly(exit.cause)) {
            return HttpServerResponse.setHeaders(bodies.refused(refusals.shuttingDown()), { connection: "close" })
          }
          return yield* exit
        })
      )

    const admit = <E, R>(bodies: ModuleErrorBodies, app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          if (lag > limits.maxEventLoopDelayMs) return yield* shed(bodies)
          const now = yield* restore(slots.withPermitsIfAvailable(1)(run(bodies, app)))
          if (Option.isSome(now)) return now.value
          if (admission.queued >= limits.maxQueuedRequests) return yield* shed(bodies)
          admission.queued++
          const slot = yield* Effect.interruptible(slots.take(1)).pipe(Effect.timeoutOption(queueTimeout), restore).pipe(
            Effect.ensuring(Effect.sync(() => admission.queued--))
          )
          if (Option.isNone(slot)) return yield* shed(bodies)
          return yield* restore(run(bodies, app)).pipe(Effect.ensuring(slots.release(1)))
        })
      )

    // Interruptible although it runs in a finalizer (those are not), so the bound can cut the wait short.
    const settled = Effect.interruptible(Effect.gen(function*() {
      while (admission.inFlight + admission.queued > 0) yield* Effect.sleep("20 millis")
    }))

    const drain = Effect.gen(function*() {
      const started = Date.now()
      admission.draining = true
      // Stop listening but keep idle keep-alive sockets (http.Server#close would drop them, racing a client
      // that is sending on one): while draining each answer says `connection: close`, and the rest go at the end.
      Net.Server.prototype.close.call(server)
      yield* Effect.logInfo("shutting down: no new connections").pipe(Effect.annotateLogs({ in_flight: admission.inFlight, queued: admission.queued }))
      const finished = yield* settled.pipe(Effect.timeoutOption(Duration.seconds(limits.shutdownTimeoutSeconds)))
      if (Option.isNone(finished)) {
        yield* Effect.logWarning("shutdown bound reached: answering unfinished requests 503").pipe(
          Effect.annotateLogs({ in_flight: admission.inFlight, bound_seconds: limits.shutdownTimeoutSeconds })
        )
        pastDeadline = true
        yield* Effect.forEach(running, Fiber.interruptFork, { discard: true })
        yield* settled.pipe(Effect.timeoutOption("2 seconds"))
      }
      // Idle keep-alive sockets a client may still pick: a request on one is answered 503 + close while this
      // lasts; those left idle are closed after it (a client writing to one just then still sees a reset).
      yield* Effect.interruptible(Effect.gen(function*() {
        while ((yield* Effect.async<number>((resume) => {
          server.getConnections((_, n) => resume(Effect.succeed(n)))
        })) > 0) {
          yield* Effect.sleep("20 millis")
        }
      })).pipe(Effect.timeoutOption("1 second"))
      server.closeIdleConnections()
      yield* Effect.logInfo("in-flight requests done").pipe(Effect.annotateLogs({ drain_ms: Date.now() - started }))
    })

    return ServerGuard.of({
      server,
      limits,
      modules,
      overCap: (socket) => over.has(socket),
      overAtArrival: (request) => overOnArrival.has(request),
      admission,
      admit,
      drain,
      lagging: () => lag > limits.maxEventLoopDelayMs,
      tryAdmit: (work) => slots.withPermitsIfAvailable(1)(counted(work)),
      intercept: (f) => {
        take = f
      },
      handOver: (request, response, body) => {
        if (body !== undefined) readBodies.set(request, body)
        emit("request", request, response)
      }
    })
  })

/** The guarded Node server (not yet listening) from LIMITS config, for NodeHttpServer.layer. */
export const layer = (modules: ReadonlyArray<ModuleErrorBodies>) =>
  Layer.scoped(ServerGuard, Effect.flatMap(LimitsConfig, (limits) => make(limits, modules)))

/**
 * The request-side limits, outermost around the app: per-IP socket cap,
 * URL length, declared and streamed body size, JSON depth, then admission
 * (WebSocket upgrades and /health are not metered: they are long-lived or must
 * answer under load). Bodies are read here, once, capped; the handlers reuse
 * the text.
 */
export const guardRequests = <E, R>(app: HttpApp.HttpApp<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.gen(function*() {
    const guard = yield* ServerGuard
    const { limits } = guard
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = request.url.split("?")[0] ?? "/"
    const bodies = pick(guard.modules, path)
    const refuse = (refusal: Refusal, headers: Record<string, string> = {}) =>
      Effect.succeed(HttpServerResponse.setHeaders(bodies.refused(refusal), headers))

    const source = nodeRequest(request)
    if (source !== undefined && guard.overCap(source.socket)) {
      return yield* refuse(refusals.tooManyConnections(limits.maxConnectionsPerIp), { ...retryAfter(1), connection: "close" })
    }
    if (request.url.length > limits.maxUrlLength) return yield* refuse(refusals.urlTooLong(limits.maxUrlLength))
    const declared = Number(request.headers["content-length"] ?? "0")
    // The unread body stays on the socket: close it rather than drain it.
    if (declared > limits.maxBodyBytes) return yield* refuse(refusals.bodyTooLarge(limits.maxBodyBytes), { connection: "close" })
    if (guard.admission.draining) return yield* refuse(refusals.shuttingDown(), { ...retryAfter(1), connection: "close" })
    if (path === WS_PATH || UNMETERED.has(path)) return yield* app
    if (source !== undefined && guard.overAtArrival(source)) return yield* refuse(refusals.overloaded(), retryAfter(1))

    const hasBody = declared > 0 || request.headers["transfer-encoding"] !== undefined
    const checked = Effect.gen(function*() {
      let served = app
      if (hasBody && source !== undefined) {
        const body = readBodies.get(source) ?? (yield* readCapped(source, limits.maxBodyBytes))
        if (body === "too large") return yield* refuse(refusals.bodyTooLarge(limits.maxBodyBytes), { connection: "close" })
        if (body === "unreadable") return bodies.validation(["the request body could not be read"])
        if (jsonDeeperThan(body, limits.maxJsonDepth)) {
          return bodies.validation([`the JSON body is nested deeper than ${limits.maxJsonDepth} levels`])
        }
        served = Effect.provideService(app, HttpServerRequest.HttpServerRequest, withText(request, body))
      }
      const response = yield* served
      return guard.admission.draining ? HttpServerResponse.setHeader(response, "connection", "close") : response
    })
    return yield* guard.admit(bodies, checked)
  })
