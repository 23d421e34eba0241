/**
 * The shared half of the in-process fake daemons (arkd, lnd, tapd): a
 * @grpc/grpc-js server on 127.0.0.1 that checks the macaroon like lnd does,
 * runs each handler as an Effect (interrupted when the client cancels), and
 * can be killed and brought back on the same port.
 */
import * as grpc from "@grpc/grpc-js"
import { Data, Effect, Exit, Runtime, type Scope } from "effect"

/** A non-OK status the fake answers with. */
export class FakeStatus extends Data.TaggedError("FakeStatus")<{ readonly code: grpc.status; readonly details: string }> {}

export interface FakeServerOptions {
  /** Serve TLS with this key pair; plaintext h2c otherwise. */
  readonly tls?: { readonly certPem: Buffer; readonly keyPem: Buffer } | undefined
  /** Refuse calls whose `macaroon` metadata is not this hex. */
  readonly macaroonHex?: string | undefined
}

export interface Handlers {
  readonly unary: <Req, Res>(
    handle: (request: Req, metadata: grpc.Metadata) => Effect.Effect<Res, FakeStatus>
  ) => grpc.handleUnaryCall<Req, Res>
  /** `handle` writes with `send` and ends the stream OK when it completes. */
  readonly stream: <Req, Res>(
    handle: (request: Req, send: (message: Res) => void, metadata: grpc.Metadata) => Effect.Effect<void, FakeStatus>
  ) => grpc.handleServerStreamingCall<Req, Res>
}

export interface FakeServer {
  readonly port: number
  /** Kills the server: open calls and streams fail as if the process died. */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port. */
  readonly start: Effect.Effect<void>
}

export const status = (code: grpc.status, details: string) => new FakeStatus({ code, details })

const toServiceError = (e: FakeStatus): Partial<grpc.ServiceError> => ({ code: e.code, details: e.details, metadata: new grpc.Metadata() })

export const serve = (
  services: (h: Handlers) => ReadonlyArray<readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>,
  options: FakeServerOptions = {}
): Effect.Effect<FakeServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runCallback(runtime)

    const denied = (metadata: grpc.Metadata): FakeStatus | undefined => {
      if (options.macaroonHex === undefined) return undefined
      const sent = metadata.get("macaroon")[0]
      if (sent === undefined) return status(grpc.status.UNKNOWN, "expected 1 macaroon, got 0")
      return sent === options.macaroonHex ? undefined : status(grpc.status.UNKNOWN, "verification failed: signature mismatch after caveat verification")
    }

    const handlers: Handlers = {
      unary: (handle) => (call, callback) => {
        const refused = denied(call.metadata)
        if (refused !== undefined) return callback(toServiceError(refused), null)
        const cancel = run(handle(call.request, call.metadata), {
          onExit: (exit) => {
            if (Exit.isSuccess(exit)) callback(null, exit.value)
            else if (!Exit.isInterrupted(exit)) {
              const failure = exit.cause._tag === "Fail" ? exit.cause.error : status(grpc.status.INTERNAL, String(exit.cause))
              callback(toServiceError(failure), null)
            }
          }
        })
        call.on("cancelled", () => cancel())
      },
      stream: (handle) => (call) => {
        const refused = denied(call.metadata)
        if (refused !== undefined) return void call.emit("error", toServiceError(refused))
        const cancel = run(handle(call.request, (m) => void call.write(m), call.metadata), {
          onExit: (exit) => {
            if (Exit.isSuccess(exit)) call.end()
            else if (!Exit.isInterrupted(exit)) {
              const failure = exit.cause._tag === "Fail" ? exit.cause.error : status(grpc.status.INTERNAL, String(exit.cause))
              call.emit("error", toServiceError(failure))
            }
          }
        })
        call.on("cancelled", () => cancel())
      }
    }

    const credentials = options.tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [{ private_key: options.tls.keyPem, cert_chain: options.tls.certPem }], false)

    let server: grpc.Server | undefined
    const bind = (port: number) =>
      Effect.async<number>((resume) => {
        const s = new grpc.Server()
        for (const [definition, implementation] of services(handlers)) s.addService(definition, implementation)
        s.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => {
          if (err !== null) resume(Effect.die(err))
          else {
            server = s
            resume(Effect.succeed(bound))
          }
        })
      })

    const port = yield* bind(0)
    const stop = Effect.sync(() => {
      server?.forceShutdown()
      server = undefined
    })
    yield* Effect.addFinalizer(() => stop)
    return { port, stop, start: Effect.asVoid(bind(port)) }
  })
