import { HttpApi, OpenApi } from "@effect/platform"
import { AssetsApi } from "./ark/assets.js"
import { CeremonyApi } from "./ark/ceremony.js"
import { GrpcApi } from "./ark/grpc.js"
import { LightningApi } from "./ark/lightning.js"
import { SessionsApi } from "./ark/sessions.js"
import { TransactionsApi } from "./ark/transactions.js"
import { VtxosApi } from "./ark/vtxos.js"
import { NostrApi } from "./ark/nostr.js"
import { AssignmentsApi } from "./epochs/assignments.js"
import { EpochsHealthApi } from "./epochs/health.js"
import { UploadsApi } from "./epochs/uploads.js"
import { ClearingFacadeApi } from "./clearing/monitoring.js"
import { ClearingOperationsApi } from "./clearing/operations.js"
import { ClearingPacketsApi, ClearingUserPacketsApi } from "./clearing/packets.js"
import { SystemApi } from "./system.js"
import { AdminApi } from "./admin/admin.js"
import { OpsApi } from "./ops.js"
import { Overloaded, PayloadTooLarge, RequestTimeout, TooManyConnections, UriTooLong } from "./refusals.js"

/** The whole HTTP contract of the bundled app; OpenAPI at /docs-json is generated from it. */
export class RelaygateApi extends HttpApi.make("relaygate")
  .add(SystemApi)
  .add(OpsApi)
  .add(AdminApi)
  .add(SessionsApi)
  .add(CeremonyApi)
  .add(AssetsApi)
  .add(VtxosApi)
  .add(TransactionsApi)
  .add(LightningApi)
  .add(NostrApi)
  .add(GrpcApi)
  .add(AssignmentsApi)
  .add(UploadsApi)
  .add(EpochsHealthApi)
  .add(ClearingPacketsApi)
  .add(ClearingUserPacketsApi)
  .add(ClearingFacadeApi)
  .add(ClearingOperationsApi)
  // What the request limits answer on any route (refusals.ts).
  .addError(Overloaded)
  .addError(TooManyConnections)
  .addError(PayloadTooLarge)
  .addError(UriTooLong)
  .addError(RequestTimeout)
  .annotate(OpenApi.Title, "relaygate")
  .annotate(OpenApi.Description, "Ark relay gateway, Resi Labs epochs API and IBC clearing, one HTTP app")
{}
