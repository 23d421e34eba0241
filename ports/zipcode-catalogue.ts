import { Context, type Effect } from "effect"
import type { StoreUnavailable } from "../core/shared/errors.js"
import type { ZipcodeEntry } from "../core/epochs/model.js"

/** The zipcodes epochs are drawn from (ZIPCODES_FILE, or the bundled demo catalogue). */
export class ZipcodeCatalogue extends Context.Tag("relaygate/ZipcodeCatalogue")<
  ZipcodeCatalogue,
  {
    readonly entries: () => Effect.Effect<ReadonlyArray<ZipcodeEntry>, StoreUnavailable>
  }
>() {}
