import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { loose } from "./assignments.js"
import * as Err from "./errors.js"
import { FolderAccessResult, ValidatorUploadResult } from "./views.js"

export const FolderAccessBody = Schema.Struct({
  coldkey: loose("string", "SS58 coldkey owning the hotkey"),
  hotkey: loose("string", "SS58 hotkey"),
  timestamp: loose("integer", "Unix seconds"),
  signature: loose("string", "sr25519 signature of `s3:data:access:{coldkey}:{hotkey}:{timestamp}`"),
  expiry: loose("integer", "Unix seconds the grant should last until (at most 24 h)")
})

export const ValidatorUploadBody = Schema.Struct({
  hotkey: loose("string", "SS58 validator hotkey"),
  signature: loose("string", "sr25519 signature of `s3:validator:upload:{timestamp}`"),
  timestamp: loose("integer", "Unix seconds"),
  epochId: loose("string", "the epoch validated, e.g. 2025-10-01T16-00-00"),
  purpose: loose("string", "e.g. epoch_validation_results"),
  estimatedDataSizeMb: loose("number", "at most the maximum file size"),
  retentionDays: loose("integer", "≥ 1")
})

/** S3 presigned POST grants: miners' data folder, validators' results folder. */
export class UploadsApi extends HttpApiGroup.make("epochs-uploads")
  .add(
    HttpApiEndpoint.post("folderAccess", "/get-folder-access")
      .setPayload(FolderAccessBody)
      .addSuccess(FolderAccessResult)
      .addError(Err.ColdkeyMismatchBody)
      .annotate(OpenApi.Description, "Miners. 10 requests per minute per hotkey.")
  )
  .add(
    HttpApiEndpoint.post("validatorUpload", "/api/v1/s3-access/validator-upload")
      .setPayload(ValidatorUploadBody)
      .addSuccess(ValidatorUploadResult)
      .annotate(OpenApi.Description, "Validators only. 5 requests per hour per hotkey.")
  )
  .addError(Err.InvalidRequestBody)
  .addError(Err.ValidationBody)
  .addError(Err.StaleTimestampBody)
  .addError(Err.InvalidSignatureBody)
  .addError(Err.SignatureReusedBody)
  .addError(Err.HotkeyNotRegisteredBody)
  .addError(Err.ValidatorPermitRequiredBody)
  .addError(Err.RateLimitedBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "S3 upload access")
{}
