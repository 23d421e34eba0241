import { HttpApiBuilder } from "@effect/platform"
import { type Context, Effect } from "effect"
import { SESSION_STATUSES } from "../../../core/signing/model.js"
import { SessionService } from "../../../core/signing/service.js"
import { RelaygateApi } from "../api.js"
import { optionalJsonBody } from "../body.js"
import { CompleteBody, FailBody, type RespondBody } from "./sessions.js"
import { arkInvalid, storeOutage } from "./unavailable.js"
import { challengeView, sessionView } from "./views.js"

/** POST /sessions/{id}/respond; the fast path serves the same handler (apps/http/fast-routes.ts). */
export const respondHandler = (sessions: Context.Tag.Service<SessionService>) =>
({ path, payload }: { readonly path: { readonly session_id: string }; readonly payload: typeof RespondBody.Type }) =>
  sessions.respond(path.session_id, {
    signature: payload.signature.replace(/^0x/, ""),
    user_pubkey: payload.user_pubkey
  }).pipe(Effect.map((s) => ({ ...sessionView(s), verified: true as const })), storeOutage)

export const SessionsLive = HttpApiBuilder.group(RelaygateApi, "sessions", (handlers) =>
  Effect.gen(function*() {
    const sessions = yield* SessionService
    return handlers
      .handle("create", ({ payload }) => sessions.create(payload).pipe(Effect.map(sessionView), storeOutage))
      .handle("get", ({ path }) => sessions.get(path.session_id).pipe(Effect.map(sessionView), storeOutage))
      .handle("challenge", ({ path }) =>
        sessions.issueChallenge(path.session_id).pipe(Effect.map(({ session }) => challengeView(session)!), storeOutage))
      .handle("respond", respondHandler(sessions))
      .handle("complete", ({ path, request }) =>
        optionalJsonBody(request, CompleteBody, arkInvalid).pipe(
          Effect.flatMap((body) => sessions.complete(path.session_id, body.result_data ?? null)),
          Effect.map(sessionView),
          storeOutage
        ))
      .handle("fail", ({ path, request }) =>
        optionalJsonBody(request, FailBody, arkInvalid).pipe(
          Effect.flatMap((body) => sessions.fail(path.session_id, body.reason ?? "failed by client")),
          Effect.map(sessionView),
          storeOutage
        ))
      .handle("list", ({ urlParams }) =>
        sessions.list(urlParams).pipe(
          Effect.map((list) => ({ sessions: list.map(sessionView), count: list.length })),
          storeOutage
        ))
      .handle("cleanup", () => sessions.sweep().pipe(storeOutage))
      .handle("stats", () =>
        sessions.stats().pipe(
          Effect.map((by_status) => ({
            by_status,
            total: SESSION_STATUSES.reduce((n, s) => n + by_status[s], 0),
            active: by_status.initiated + by_status.challenge_sent + by_status.awaiting_signature + by_status.signing
          })),
          storeOutage
        ))
  }))
