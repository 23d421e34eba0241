import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Logger, LogLevel, Ref } from "effect"
import { quietFailures } from "../../apps/quiet-failures.js"

class Down extends Data.TaggedError("Down")<{ readonly message: string }> {}

describe("quietFailures", () => {
  it.effect("a job failing for 50 runs in a row logs one warning, and one line when it works again", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`))
      const up = yield* Ref.make(false)
      const run = quietFailures("money sweep")
      const job = Effect.flatMap(Ref.get(up), (ok) => (ok ? Effect.succeed("swept") : Effect.fail(new Down({ message: "mariadb unavailable" }))))
      yield* Effect.gen(function*() {
        for (let i = 0; i < 50; i++) yield* run(job)
        yield* Ref.set(up, true)
        for (let i = 0; i < 5; i++) expect(yield* run(job)).toBe("swept")
        yield* Ref.set(up, false)
        yield* run(job)
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Info))
      expect(lines).toEqual([
        "WARN money sweep failed; retried every run, logged again when it recovers",
        "INFO money sweep works again",
        "WARN money sweep failed; retried every run, logged again when it recovers"
      ])
    }))
})
