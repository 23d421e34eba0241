import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { CeremonyService } from "../../../core/signing/ceremony.service.js"
import { CeremonyNotFound } from "../../../core/signing/errors.js"
import type { Session } from "../../../core/signing/model.js"
import { RelaygateApi } from "../api.js"
import { optionalJsonBody } from "../body.js"
import { CancelBody } from "./ceremony.js"
import { arkInvalid, storeOutage } from "./unavailable.js"
import { ceremonyView } from "./views.js"

const view = (s: Session) => {
  const v = ceremonyView(s)
  return v === null ? Effect.fail(new CeremonyNotFound({ session_id: s.session_id })) : Effect.succeed(v)
}

export const CeremonyLive = HttpApiBuilder.group(RelaygateApi, "ceremony", (handlers) =>
  Effect.gen(function*() {
    const ceremonies = yield* CeremonyService
    return handlers
      .handle("start", ({ payload }) =>
        ceremonies.start(payload.session_id, { auto: payload.auto_execute }).pipe(Effect.flatMap(view), storeOutage))
      .handle("status", ({ path }) => ceremonies.status(path.session_id).pipe(Effect.flatMap(view), storeOutage))
      .handle("step", ({ path }) =>
        ceremonies.executeStep(path.session_id, path.step).pipe(Effect.flatMap(view), storeOutage))
      .handle("cancel", ({ path, request }) =>
        optionalJsonBody(request, CancelBody, arkInvalid).pipe(
          Effect.flatMap((body) => ceremonies.cancel(path.session_id, body.reason ?? "cancelled by client")),
          Effect.flatMap(view),
          storeOutage
        ))
  }))
