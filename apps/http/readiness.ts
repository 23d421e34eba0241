import { Context, Duration, Effect } from "effect"
import type { DependencyCheck } from "./system.js"

export interface Check {
  readonly name: string
  readonly adapter: string
  /** Succeeds when the dependency answers; its failure message becomes the detail. */
  readonly probe: Effect.Effect<unknown, { readonly message: string }>
}

/** The dependencies /ready reports; each module's layer contributes its own. */
export class ReadinessChecks extends Context.Tag("relaygate/ReadinessChecks")<ReadinessChecks, ReadonlyArray<Check>>() {}

export const runChecks = (checks: ReadonlyArray<Check>) =>
  Effect.forEach(checks, (c) =>
    c.probe.pipe(
      Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => ({ message: "no answer within 2 s" }) }),
      Effect.match({
        onSuccess: (): [string, typeof DependencyCheck.Type] => [c.name, { status: "ok", adapter: c.adapter }],
        onFailure: (e): [string, typeof DependencyCheck.Type] => [c.name, { status: "down", adapter: c.adapter, detail: e.message }]
      })
    ), { concurrency: "unbounded" }).pipe(Effect.map((entries) => Object.fromEntries(entries)))
