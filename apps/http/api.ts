import { HttpApi, OpenApi } from "@effect/platform"
import { CeremonyApi } from "./ark/ceremony.js"
import { SessionsApi } from "./ark/sessions.js"
import { AssignmentsApi } from "./epochs/assignments.js"
import { EpochsHealthApi } from "./epochs/health.js"
import { UploadsApi } from "./epochs/uploads.js"
import { SystemApi } from "./system.js"

/** The whole HTTP contract of the bundled app; OpenAPI at /docs-json is generated from it. */
export class RelaygateApi extends HttpApi.make("relaygate")
  .add(SystemApi)
  .add(SessionsApi)
  .add(CeremonyApi)
  .add(AssignmentsApi)
  .add(UploadsApi)
  .add(EpochsHealthApi)
  .annotate(OpenApi.Title, "relaygate")
  .annotate(OpenApi.Description, "Ark relay gateway, Resi Labs epochs API and IBC clearing, one HTTP app")
{}
