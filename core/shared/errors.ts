import { Data } from "effect"

/**
 * A store could not be reached or failed mid-operation. Nothing was written
 * (stores apply each operation atomically), so the caller may retry; the HTTP
 * edge answers 503 naming the dependency.
 */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly store: string
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    return `${this.store} unavailable during ${this.operation}`
  }
}
