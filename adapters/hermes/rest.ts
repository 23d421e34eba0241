import { HttpClient, type HttpClientError, HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"
import {
  type ClearPacketsRequest,
  Hermes,
  type HermesChainState,
  type HermesError,
  HermesRejected,
  type HermesState,
  HermesUnavailable,
  type HermesVersion
} from "../../ports/hermes.js"
import * as Breaker from "../resilience/breaker.js"
import { describe, envelope, txHashes } from "./json.js"

export interface HermesRestSettings {
  /** HERMES_URL: the REST API, e.g. `http://hermes:5185`. */
  readonly url: string
  readonly timeout?: Duration.DurationInput | undefined
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Hermes' REST API (crates/relayer-rest). Answers are `{status, result}`
 * envelopes; `/version` has also been seen bare. Its `POST /clear_packets`
 * takes only `?chain=` and clears every pending packet of that chain, so the
 * report's scope is `chain`, whatever sequences were asked for.
 */
export const make = (settings: HermesRestSettings) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = settings.url.replace(/\/+$/, "")
    const timeout = settings.timeout ?? "60 seconds"
    const breaker = yield* Breaker.registered("hermes")

    const call = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<unknown, HermesError> =>
      client.execute(request).pipe(
        Effect.flatMap((res): Effect.Effect<unknown, HermesError | HttpClientError.ResponseError> =>
          res.status >= 500
            ? Effect.flatMap(res.text, (t) => Effect.fail(new HermesUnavailable({ reason: `${request.url} answered ${res.status}: ${t.slice(0, 200)}` })))
            : res.status >= 400
            ? Effect.flatMap(res.text, (t) => Effect.fail(new HermesRejected({ reason: `${request.url} answered ${res.status}: ${t.slice(0, 200)}` })))
            : res.json
        ),
        Effect.timeoutFail({ duration: timeout, onTimeout: () => new HermesUnavailable({ reason: `no answer from ${request.url} within ${Duration.format(timeout)}` }) }),
        Effect.catchTags({
          RequestError: (e) => Effect.fail(new HermesUnavailable({ reason: `cannot reach ${request.url}`, cause: e })),
          ResponseError: (e) => Effect.fail(new HermesUnavailable({ reason: `unreadable answer from ${request.url}`, cause: e }))
        }),
        (call) =>
          breaker.guard(call, {
            isOutage: (e) => e._tag === "HermesUnavailable",
            onOpen: (open) => new HermesUnavailable({ reason: open.message, cause: open })
          })
      )

    /** The result of a success envelope (or a bare body); an error envelope is a rejection. */
    const result = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(call(request), (body) => {
        const env = envelope(body)
        if (env === undefined) return Effect.succeed(body)
        return env.status === "success" ? Effect.succeed(env.result) : Effect.fail(new HermesRejected({ reason: describe(env.result) }))
      })

    const malformed = (what: string, body: unknown) =>
      new HermesUnavailable({ reason: `unexpected ${what} answer: ${describe(body).slice(0, 200)}` })

    return Hermes.of({
      executor: "rest",
      version: Effect.fn("Hermes.version")(function*() {
        const body = yield* result(HttpClientRequest.get(`${base}/version`))
        const items = Array.isArray(body) ? body : [body]
        const versions: Array<HermesVersion> = []
        for (const v of items) {
          if (isRecord(v) && typeof v["name"] === "string" && typeof v["version"] === "string") {
            versions.push({ name: v["name"], version: v["version"] })
          }
        }
        if (versions.length === 0) return yield* Effect.fail(malformed("/version", body))
        return versions
      }),
      state: Effect.fn("Hermes.state")(function*() {
        const body = yield* result(HttpClientRequest.get(`${base}/state`))
        if (!isRecord(body)) return yield* Effect.fail(malformed("/state", body))
        const chains = Array.isArray(body["chains"])
          ? body["chains"].map((c) => (typeof c === "string" ? c : isRecord(c) && typeof c["id"] === "string" ? c["id"] : undefined))
            .filter((c): c is string => c !== undefined)
          : []
        const workers: Record<string, number> = {}
        if (isRecord(body["workers"])) {
          for (const [kind, list] of Object.entries(body["workers"])) workers[kind] = Array.isArray(list) ? list.length : 0
        }
        return { chains, workers } satisfies HermesState
      }),
      chains: Effect.fn("Hermes.chains")(function*() {
        const body = yield* result(HttpClientRequest.get(`${base}/chains`))
        if (!Array.isArray(body)) return yield* Effect.fail(malformed("/chains", body))
        return body
          .map((c): HermesChainState | undefined =>
            typeof c === "string" ? { chain_id: c } : isRecord(c) && typeof c["id"] === "string" ? { chain_id: c["id"] } : undefined
          )
          .filter((c): c is HermesChainState => c !== undefined)
      }),
      clearPackets: Effect.fn("Hermes.clearPackets")(function*(request: ClearPacketsRequest) {
        const body = yield* result(
          HttpClientRequest.post(`${base}/clear_packets`).pipe(HttpClientRequest.setUrlParam("chain", request.chain_id))
        )
        return { scope: "chain" as const, tx_hashes: txHashes(body) }
      })
    })
  })

export const layer = (settings: HermesRestSettings) => Layer.effect(Hermes, make(settings))
