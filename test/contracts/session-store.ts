import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { SessionStore } from "../../ports/session-store.js"
import { sampleSession } from "../support/sessions.js"

/** The behaviour every SessionStore adapter must have; each adapter's test calls this. */
export const sessionStoreContract = (name: string, layer: Layer.Layer<SessionStore, StoreUnavailable>) =>
  describe(`SessionStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, SessionStore>) => Effect.provide(effect, layer)

    it.effect("returns what was inserted and nothing for unknown ids", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const s = sampleSession({ intent_data: { amount: 9007199254740991, nested: { a: [1, "x"] } } })
        yield* store.insert(s)
        expect(yield* store.get(s.session_id)).toEqual(Option.some(s))
        expect(Option.isNone(yield* store.get("missing"))).toBe(true)
      })))

    it.effect("modify writes the decision's state and returns its value", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const s = sampleSession()
        yield* store.insert(s)
        const out = yield* store.modify(s.session_id, (cur) => Either.right([{ ...cur, status: "challenge_sent" as const }, "ok"] as const))
        expect(out).toBe("ok")
        expect(Option.getOrThrow(yield* store.get(s.session_id)).status).toBe("challenge_sent")
      })))

    it.effect("a rejected decision writes nothing and surfaces its error", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const s = sampleSession()
        yield* store.insert(s)
        const err = yield* store.modify(s.session_id, () => Either.left("nope" as const)).pipe(Effect.flip)
        expect(err).toBe("nope")
        expect(yield* store.get(s.session_id)).toEqual(Option.some(s))
      })))

    it.effect("modify of an unknown session fails with SessionNotFound", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const err = yield* store.modify("missing", (cur) => Either.right([cur, 1] as const)).pipe(Effect.flip)
        expect(err).toMatchObject({ _tag: "SessionNotFound", session_id: "missing" })
      })))

    it.effect("concurrent modifies are serialized: a one-shot decision succeeds exactly once", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const s = sampleSession({ status: "challenge_sent" })
        yield* store.insert(s)
        const useOnce = store.modify(s.session_id, (cur) =>
          cur.status === "challenge_sent"
            ? Either.right([{ ...cur, status: "awaiting_signature" as const }, true] as const)
            : Either.left("used" as const))
        const results = yield* Effect.all(Array.from({ length: 50 }, () => Effect.either(useOnce)), { concurrency: "unbounded" })
        expect(results.filter(Either.isRight)).toHaveLength(1)
      })))

    it.effect("list filters by user and status, newest first, with a limit", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const other = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5" as typeof a.user_pubkey
        const a = sampleSession({ created_at: 1 })
        const b = sampleSession({ created_at: 2, status: "failed" })
        const c = sampleSession({ created_at: 3, user_pubkey: other })
        for (const s of [a, b, c]) yield* store.insert(s)
        expect((yield* store.list({})).map((s) => s.session_id)).toEqual([c, b, a].map((s) => s.session_id))
        expect((yield* store.list({ user_pubkey: a.user_pubkey })).map((s) => s.session_id)).toEqual([b.session_id, a.session_id])
        expect((yield* store.list({ status: "failed" })).map((s) => s.session_id)).toEqual([b.session_id])
        expect(yield* store.list({ limit: 1 })).toHaveLength(1)
      })))

    it.effect("listSweepable returns overdue live sessions and every signing one", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        const due = sampleSession({ expires_at: 100 })
        const fresh = sampleSession({ expires_at: 10_000 })
        const signing = sampleSession({ status: "signing", expires_at: 10_000 })
        const done = sampleSession({ status: "completed", expires_at: 100 })
        for (const s of [due, fresh, signing, done]) yield* store.insert(s)
        const ids = (yield* store.listSweepable(1_000)).map((s) => s.session_id).sort()
        expect(ids).toEqual([due.session_id, signing.session_id].sort())
      })))

    it.effect("countByStatus counts every status, zero included", () =>
      run(Effect.gen(function*() {
        const store = yield* SessionStore
        yield* store.insert(sampleSession())
        yield* store.insert(sampleSession({ status: "completed" }))
        const counts = yield* store.countByStatus()
        expect(counts).toMatchObject({ initiated: 1, completed: 1, failed: 0, signing: 0 })
      })))
  })
