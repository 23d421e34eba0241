import { Duration, Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import {
  type ClearPacketsRequest,
  Hermes,
  type HermesError,
  HermesRejected,
  HermesUnavailable,
  type HermesVersion
} from "../../ports/hermes.js"
import { describe, type Envelope, envelope, txHashes } from "./json.js"
import * as Breaker from "../resilience/breaker.js"

export interface HermesCliSettings {
  /** HERMES_BIN: path of the `hermes` binary. */
  readonly bin: string
  /** Passed as `--config`; Hermes' default ($HOME/.hermes/config.toml) otherwise. */
  readonly config?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The last `{status, result}` line Hermes printed; log lines and anything else are skipped. */
export const lastEnvelope = (stdout: string): Envelope | undefined => {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith("{"))
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const env = envelope(JSON.parse(lines[i]!))
      if (env !== undefined) return env
    } catch {
      // a log line that merely starts with "{"
    }
  }
  return undefined
}

const tail = (s: string) => s.trim().split(/\r?\n/).slice(-3).join(" | ").slice(0, 300)

/**
 * The Hermes CLI with `--json`. Unlike the REST API it clears exact
 * sequences: `hermes clear packets --chain --port --channel --packet-sequences`.
 */
export const make = (settings: HermesCliSettings) =>
  Effect.gen(function*() {
    const breaker = yield* Breaker.registered("hermes")
    const timeoutMs = Duration.toMillis(settings.timeout ?? "5 minutes")
    const global = ["--json", ...(settings.config === undefined ? [] : ["--config", settings.config])]

    const run = (args: ReadonlyArray<string>): Effect.Effect<Run, HermesUnavailable> =>
      Effect.async<Run, HermesUnavailable>((resume) => {
        const child = execFile(
          settings.bin,
          [...global, ...args],
          { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
            if (error !== null && code === null) {
              resume(Effect.fail(new HermesUnavailable({
                reason: error.killed ? `${settings.bin} timed out` : `cannot run ${settings.bin}: ${error.message}`,
                cause: error
              })))
            } else {
              resume(Effect.succeed({ code, stdout: String(stdout), stderr: String(stderr) }))
            }
          }
        )
        return Effect.sync(() => void child.kill("SIGTERM"))
      }).pipe((call) =>
        breaker.guard(call, { isOutage: () => true, onOpen: (open) => new HermesUnavailable({ reason: open.message, cause: open }) })
      )

    /** Runs a command and returns its success result; an error envelope or a failed exit is a rejection. */
    const result = (args: ReadonlyArray<string>): Effect.Effect<unknown, HermesError> =>
      Effect.flatMap(run(args), (r) => {
        const env = lastEnvelope(r.stdout)
        if (env?.status === "success" && r.code === 0) return Effect.succeed(env.result)
        if (env?.status === "error") return Effect.fail(new HermesRejected({ reason: describe(env.result) }))
        return Effect.fail(new HermesRejected({ reason: `hermes exited with ${r.code}: ${tail(r.stderr) || tail(r.stdout) || "no output"}` }))
      })

    const noRest = (what: string) =>
      Effect.fail(new HermesUnavailable({ reason: `${what} needs the REST API (HERMES_URL); the CLI does not report it` }))

    return Hermes.of({
      executor: "cli",
      version: Effect.fn("Hermes.version")(function*() {
        const out = yield* result(["version"])
        const text = typeof out === "string" ? out : describe(out)
        const m = /(\d+\.\d+\.\d+\S*)/.exec(text)
        return [{ name: "hermes", version: m?.[1] ?? text }] satisfies ReadonlyArray<HermesVersion>
      }),
      state: () => noRest("relayer state"),
      chains: () => noRest("the chain list"),
      clearPackets: Effect.fn("Hermes.clearPackets")(function*(request: ClearPacketsRequest) {
        const body = yield* result([
          "clear",
          "packets",
          "--chain",
          request.chain_id,
          "--port",
          request.port_id,
          "--channel",
          request.channel_id,
          ...(request.sequences.length === 0 ? [] : ["--packet-sequences", [...request.sequences].sort((a, b) => a - b).join(",")])
        ])
        return { scope: "sequences" as const, tx_hashes: txHashes(body) }
      })
    })
  })

export const layer = (settings: HermesCliSettings) => Layer.effect(Hermes, make(settings))
