import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/clearing-store.js"
import { clearingStoreContract } from "../../contracts/clearing-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("ClearingStore on MariaDB", () => clearingStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
