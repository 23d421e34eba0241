import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { HealthView } from "./views.js"

/** The Resi Labs API's own health check (503 with the same body when the store is unreachable). */
export class EpochsHealthApi extends HttpApiGroup.make("epochs-health")
  .add(HttpApiEndpoint.get("healthcheck", "/healthcheck").addSuccess(HealthView))
  .annotate(OpenApi.Title, "Resi Labs health")
{}
