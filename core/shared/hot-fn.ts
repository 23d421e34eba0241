import { Effect, FiberRef } from "effect"
import type { YieldWrap } from "effect/Utils"

type ErrorOf<Eff> = [Eff] extends [never] ? never : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer E, infer _R>>] ? E : never
type ContextOf<Eff> = [Eff] extends [never] ? never : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer _E, infer R>>] ? R : never

/**
 * `Effect.fn(name)` for the service and port methods every signed request
 * runs (bench rows 3–4): with tracing on, the same span; with it off (the app
 * has no exporter unless one is configured), the body alone. `Effect.fn`
 * still builds its call-site `Error`, a no-op span and a context swap to make
 * it the parent when nothing records spans: 7–8 CPU µs a call on this machine
 * against under 1 for this check.
 */
export const hotFn = (name: string) =>
<Eff extends YieldWrap<Effect.Effect<unknown, unknown, unknown>>, A, Args extends Array<any>>(
  body: (...args: Args) => Generator<Eff, A, never>
): (...args: Args) => Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>> => {
  const traced = Effect.fn(name, { captureStackTrace: false })(body) as (...args: Args) => Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>>
  const untraced = Effect.fnUntraced(body) as (...args: Args) => Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>>
  return (...args) => Effect.flatMap(FiberRef.get(FiberRef.currentTracerEnabled), (on) => (on ? traced(...args) : untraced(...args)))
}
