import { Context, Duration, Effect, Option } from "effect"
import type { DependencyCheck } from "./system.js"

export interface Check {
  readonly name: string
  readonly adapter: string
  /** Succeeds when the dependency answers; its failure message becomes the detail. */
  readonly probe: Effect.Effect<unknown, { readonly message: string }>
  /** The state of the dependency's circuit breaker, when calls to it go through one. */
  readonly breaker?: Effect.Effect<Option.Option<"closed" | "open" | "half_open">> | undefined
}

/** The dependencies /ready reports; each module's layer contributes its own. */
export class ReadinessChecks extends Context.Tag("relaygate/ReadinessChecks")<ReadinessChecks, ReadonlyArray<Check>>() {}

export const runChecks = (checks: ReadonlyArray<Check>) =>
  Effect.forEach(checks, (c) =>
    c.probe.pipe(
      Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => ({ message: "no answer within 2 s" }) }),
      Effect.match({
        onSuccess: (): typeof DependencyCheck.Type => ({ status: "ok", adapter: c.adapter }),
        onFailure: (e): typeof DependencyCheck.Type => ({ status: "down", adapter: c.adapter, detail: e.message })
      }),
      Effect.zip(c.breaker ?? Effect.succeedNone),
      Effect.map(([check, breaker]): [string, typeof DependencyCheck.Type] => [c.name, Option.match(breaker, { onNone: () => check, onSome: (b) => ({ ...check, breaker: b }) })])
    ), { concurrency: "unbounded" }).pipe(Effect.map((entries) => Object.fromEntries(entries)))
