import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { EpochService, type UploadGrantResult } from "../../../core/epochs/service.js"
import { describeBytes } from "../../../core/epochs/settings.js"
import { toIso } from "../../../core/shared/time.js"
import { RelaygateApi } from "../api.js"
import { outage } from "./errors.js"
import { folderAccessRequest, validatorUploadRequest, withRateLimitHeaders } from "./requests.js"

const MESSAGE = "S3 upload credentials generated successfully"

const grantView = (g: UploadGrantResult) => ({
  success: true as const,
  message: MESSAGE,
  uploadUrl: g.url,
  url: g.url,
  fields: g.fields,
  metadata: { folderPath: g.folderPath, expiresAt: toIso(g.expiresAt), maxFileSize: describeBytes(g.maxFileSizeBytes) }
})

export const UploadsLive = HttpApiBuilder.group(RelaygateApi, "epochs-uploads", (handlers) =>
  Effect.gen(function*() {
    const epochs = yield* EpochService
    return handlers
      .handle("folderAccess", ({ payload }) =>
        epochs.folderAccess(folderAccessRequest(payload)).pipe(
          Effect.map((g) => ({ ...grantView(g), folder: g.folderPath })),
          outage,
          withRateLimitHeaders
        ))
      .handle("validatorUpload", ({ payload }) =>
        epochs.validatorUpload(validatorUploadRequest(payload)).pipe(
          Effect.map((g) => {
            const view = grantView(g)
            return { ...view, metadata: { ...view.metadata, supportedFormats: [...g.supportedFormats] } }
          }),
          outage,
          withRateLimitHeaders
        ))
  }))
