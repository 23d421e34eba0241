import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/vtxo-store.js"
import { vtxoStoreContract } from "../../contracts/vtxo-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("VtxoStore on MariaDB", () => vtxoStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
