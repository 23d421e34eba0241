/**
 * What the arkd, lnd and tapd adapters share: one gRPC channel per daemon
 * (TLS with the daemon's own certificate, or plaintext h2c), the macaroon as
 * hex metadata, a deadline on every unary call, server streams as Effect
 * Streams, and a reconnect that re-reads the certificate and macaroon.
 */
import { readFile } from "node:fs/promises"
import * as grpc from "@grpc/grpc-js"
import { Data, Duration, Effect, Schedule, type Scope, Stream, SynchronizedRef } from "effect"
import type { DaemonName } from "../../ports/daemon-connection.js"
import * as Breaker from "../resilience/breaker.js"

/**
 * Plaintext is h2c (arkd's default); Tls with no certificate trusts the system
 * CAs. `serverName` is the name the certificate must carry (and the SNI sent)
 * when it does not name the host dialled, e.g. a daemon reached by IP or
 * through a tunnel; unset, the host is checked.
 */
export type Security =
  | { readonly _tag: "Plaintext" }
  | { readonly _tag: "Tls"; readonly certPath: string | undefined; readonly serverName?: string | undefined }

export interface GrpcTarget {
  readonly daemon: DaemonName
  readonly host: string
  readonly port: number
  readonly security: Security
  /** The daemon's macaroon file; sent hex-encoded in the `macaroon` metadata of every call. */
  readonly macaroonPath: string | undefined
  /** Deadline of each unary call. */
  readonly callTimeout: Duration.DurationInput
}

/** The daemon answered a call with a non-OK status, or the call never reached it. */
export class GrpcCallFailed extends Data.TaggedError("GrpcCallFailed")<{
  readonly daemon: DaemonName
  readonly method: string
  readonly code: grpc.status
  readonly details: string
}> {
  override get message() {
    return `${this.daemon} ${this.method}: ${grpc.status[this.code] ?? this.code}: ${this.details}`
  }
}

/** The TLS certificate or the macaroon could not be read. */
export class GrpcSetupFailed extends Data.TaggedError("GrpcSetupFailed")<{
  readonly daemon: DaemonName
  /** Which file could not be read. */
  readonly file: "tls_cert" | "macaroon"
  readonly reason: string
}> {
  override get message() {
    return `${this.daemon}: ${this.reason}`
  }
}

/** The slice of a ts-proto grpc-js method definition a call needs. */
export interface MethodDef<Req, Res> {
  readonly path: string
  readonly requestSerialize: (value: Req) => Buffer
  readonly responseDeserialize: (value: Buffer) => Res
}

export interface Connection {
  readonly daemon: DaemonName
  /** host:port */
  readonly target: string
  readonly unary: <Req, Res>(
    method: MethodDef<Req, Res>,
    request: Req,
    metadata?: Readonly<Record<string, string>>
  ) => Effect.Effect<Res, GrpcCallFailed>
  /**
   * One subscription; it ends when the daemon ends it and fails when the call
   * fails. Without a deadline it may stay open indefinitely.
   */
  readonly serverStream: <Req, Res>(
    method: MethodDef<Req, Res>,
    request: Req,
    metadata?: Readonly<Record<string, string>>,
    options?: { readonly deadline?: Duration.DurationInput }
  ) => Stream.Stream<Res, GrpcCallFailed>
  /** Closes the channel and dials again with freshly read TLS certificate and macaroon. */
  readonly reconnect: Effect.Effect<void, GrpcSetupFailed>
}

/** Codes meaning the daemon looked at the request and refused it; retrying it unchanged cannot help. */
const REFUSALS: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE
])

export const isRefusal = (e: GrpcCallFailed): boolean => REFUSALS.has(e.code)

/** Codes meaning the daemon did not answer in time or could not be reached; these count against its breaker. */
const isOutage = (e: GrpcCallFailed): boolean => e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED

/** Reconnect pacing for subscriptions: 250 ms doubling to 30 s, jittered, forever. */
export const streamBackoff: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis").pipe(
  Schedule.union(Schedule.spaced("30 seconds")),
  Schedule.jittered
)

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

interface Channel {
  readonly client: grpc.Client
  readonly macaroonHex: string | undefined
}

const readSecrets = (target: GrpcTarget) =>
  Effect.gen(function*() {
    const read = (file: "tls_cert" | "macaroon", path: string) =>
      Effect.tryPromise({
        try: () => readFile(path),
        catch: (e) =>
          new GrpcSetupFailed({
            daemon: target.daemon,
            file,
            reason: `cannot read ${file === "tls_cert" ? "TLS certificate" : "macaroon"} ${path}: ${errorText(e)}`
          })
      })
    const cert = target.security._tag === "Tls" && target.security.certPath !== undefined
      ? yield* read("tls_cert", target.security.certPath)
      : undefined
    const macaroon = target.macaroonPath === undefined ? undefined : yield* read("macaroon", target.macaroonPath)
    return { cert, macaroonHex: macaroon?.toString("hex") }
  })

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // lnd answers ListInvoices/ListPayments pages well above the 4 MiB default.
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
  // Detects a silently dead peer under long-lived subscriptions.
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 10_000
}

const dial = (target: GrpcTarget) =>
  Effect.map(readSecrets(target), ({ cert, macaroonHex }): Channel => {
    const { security } = target
    const credentials = security._tag === "Plaintext"
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(cert ?? null)
    const options: grpc.ChannelOptions = security._tag === "Tls" && security.serverName !== undefined
      ? { ...CHANNEL_OPTIONS, "grpc.ssl_target_name_override": security.serverName, "grpc.default_authority": security.serverName }
      : CHANNEL_OPTIONS
    return { client: new grpc.Client(`${target.host}:${target.port}`, credentials, options), macaroonHex }
  })

const metadataFor = (channel: Channel, extra: Readonly<Record<string, string>> | undefined) => {
  const md = new grpc.Metadata()
  if (channel.macaroonHex !== undefined) md.set("macaroon", channel.macaroonHex)
  for (const [k, v] of Object.entries(extra ?? {})) md.set(k, v)
  return md
}

const methodName = (path: string) => path.slice(path.lastIndexOf("/") + 1)

const failure = (daemon: DaemonName, path: string, e: Partial<grpc.ServiceError>) =>
  new GrpcCallFailed({
    daemon,
    method: methodName(path),
    code: typeof e.code === "number" ? e.code : grpc.status.UNKNOWN,
    details: e.details ?? e.message ?? "no details"
  })

/**
 * Reads the certificate and macaroon and creates the channel; it dials lazily,
 * so a daemon that is down at start-up shows up as failed calls, not as a
 * failed start. Unreadable files do fail here: they are configuration errors.
 */
export const connect = (target: GrpcTarget): Effect.Effect<Connection, GrpcSetupFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const channel = yield* Effect.acquireRelease(
      Effect.flatMap(dial(target), (c) => SynchronizedRef.make(c)),
      (ref) => Effect.map(SynchronizedRef.get(ref), (c) => c.client.close())
    )
    const timeoutMs = Duration.toMillis(Duration.decode(target.callTimeout))
    const breaker = yield* Breaker.registered(target.daemon)
    // An open breaker answers like a daemon that is down, so every adapter's existing mapping applies.
    const guarded = (path: string) => ({
      isOutage,
      onOpen: (open: Breaker.BreakerOpen) => new GrpcCallFailed({ daemon: target.daemon, method: methodName(path), code: grpc.status.UNAVAILABLE, details: open.message })
    })

    const unary = <Req, Res>(method: MethodDef<Req, Res>, request: Req, metadata?: Readonly<Record<string, string>>) =>
      Effect.flatMap(SynchronizedRef.get(channel), (c) =>
        Effect.async<Res, GrpcCallFailed>((resume) => {
          // grpc deadlines are wall-clock instants, not the fiber's Clock.
          const call = c.client.makeUnaryRequest(
            method.path,
            method.requestSerialize,
            method.responseDeserialize,
            request,
            metadataFor(c, metadata),
            { deadline: new Date(Date.now() + timeoutMs) },
            (err, response) => {
              if (err !== null) resume(Effect.fail(failure(target.daemon, method.path, err)))
              else if (response === undefined) resume(Effect.fail(failure(target.daemon, method.path, { code: grpc.status.INTERNAL, details: "empty response" })))
              else resume(Effect.succeed(response))
            }
          )
          return Effect.sync(() => call.cancel())
        })).pipe((call) => breaker.guard(call, guarded(method.path)))

    const serverStream = <Req, Res>(
      method: MethodDef<Req, Res>,
      request: Req,
      metadata?: Readonly<Record<string, string>>,
      options?: { readonly deadline?: Duration.DurationInput }
    ) =>
      Stream.unwrap(Effect.map(SynchronizedRef.get(channel), (c) =>
        Stream.async<Res, GrpcCallFailed>((emit) => {
          const call = c.client.makeServerStreamRequest(
            method.path,
            method.requestSerialize,
            method.responseDeserialize,
            request,
            metadataFor(c, metadata),
            options?.deadline === undefined ? {} : { deadline: new Date(Date.now() + Duration.toMillis(Duration.decode(options.deadline))) }
          )
          let cancelled = false
          // Backpressure: stop reading from the socket until the consumer took the message.
          call.on("data", (message: Res) => {
            call.pause()
            void emit.single(message).then(() => call.resume())
          })
          call.on("error", (e: grpc.ServiceError) => {
            if (!cancelled) void emit.fail(failure(target.daemon, method.path, e))
          })
          call.on("end", () => void emit.end())
          return Effect.sync(() => {
            cancelled = true
            call.cancel()
          })
        })))

    const reconnect = SynchronizedRef.updateEffect(channel, (old) =>
      Effect.map(dial(target), (fresh) => {
        old.client.close()
        return fresh
      })).pipe(Effect.zipLeft(breaker.reset))

    return { daemon: target.daemon, target: `${target.host}:${target.port}`, unary, serverStream, reconnect } satisfies Connection
  })

/**
 * A subscription that outlives daemon restarts: `open` is re-run (so it can
 * resume from the last position it saw) whenever the stream fails or the
 * daemon ends it, paced by `schedule`; the pacing resets once a message
 * arrives again.
 */
export const resubscribing = <A, R>(
  daemon: DaemonName,
  what: string,
  open: Effect.Effect<Stream.Stream<A, GrpcCallFailed, R>>,
  schedule: Schedule.Schedule<unknown, unknown> = streamBackoff
): Stream.Stream<A, never, R> =>
  Stream.unwrap(open).pipe(
    Stream.concat(Stream.fail(new GrpcCallFailed({ daemon, method: what, code: grpc.status.UNAVAILABLE, details: "the daemon ended the stream" }))),
    Stream.tapError((e) => Effect.logWarning(`${daemon} ${what} stream dropped; resubscribing`).pipe(Effect.annotateLogs({ reason: e.message }))),
    Stream.retry(schedule),
    Stream.catchAll(() => Stream.empty)
  )
