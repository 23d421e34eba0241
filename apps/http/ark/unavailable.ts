import { Effect } from "effect"
import type { StoreUnavailable } from "../../../core/shared/errors.js"
import { ArkServiceUnavailable, ArkValidationError } from "./errors.js"

/** A store outage becomes the ark module's 503 naming the dependency. */
export const storeOutage = <A, E, R>(effect: Effect.Effect<A, E | StoreUnavailable, R>) =>
  Effect.catchIf(
    effect,
    (e): e is StoreUnavailable => typeof e === "object" && e !== null && "_tag" in e && e._tag === "StoreUnavailable",
    (e) => Effect.fail(new ArkServiceUnavailable({ dependency: e.store, reason: e.message }))
  )

export const arkInvalid = (problems: ReadonlyArray<string>) => new ArkValidationError({ detail: problems.join("; ") })
