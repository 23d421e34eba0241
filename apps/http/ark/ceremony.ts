import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { STEP_COUNT } from "../../../core/signing/model.js"
import * as Err from "./errors.js"
import { SessionId } from "./sessions.js"
import { CeremonyView } from "./views.js"

const Step = HttpApiSchema.param(
  "step",
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, STEP_COUNT, { message: () => `step must be 1..${STEP_COUNT}` }))
)

export const StartBody = Schema.Struct({
  session_id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)),
  auto_execute: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

export const CancelBody = Schema.Struct({ reason: Schema.optional(Schema.String.pipe(Schema.maxLength(500))) })

/** The 6-step signing ceremony: start (auto or step by step), status, single steps, cancel. */
export class CeremonyApi extends HttpApiGroup.make("ceremony")
  .add(
    HttpApiEndpoint.post("start", "/signing/ceremony/start")
      .setPayload(StartBody)
      .addSuccess(CeremonyView, { status: 202 })
      .addError(Err.InvalidStateBody)
      .addError(Err.SessionExpiredBody)
  )
  .add(HttpApiEndpoint.get("status")`/signing/ceremony/${SessionId}/status`.addSuccess(CeremonyView))
  .add(
    HttpApiEndpoint.post("step")`/signing/ceremony/${SessionId}/step/${Step}`
      .addSuccess(CeremonyView)
      .addError(Err.StepOutOfOrderBody)
      .addError(Err.InvalidStateBody)
      .addError(Err.StepFailedBody)
  )
  .add(
    HttpApiEndpoint.post("cancel")`/signing/ceremony/${SessionId}/cancel`
      .addSuccess(CeremonyView)
      .addError(Err.InvalidStateBody)
      .annotate(OpenApi.Description, "Optional JSON body: { \"reason\": string }")
  )
  .addError(Err.ValidationErrorBody)
  .addError(Err.SessionNotFoundBody)
  .addError(Err.CeremonyNotFoundBody)
  .addError(Err.SessionExpiredBody)
  .addError(Err.InvalidStateBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark signing ceremony")
{}
