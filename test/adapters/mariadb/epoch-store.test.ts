import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/epoch-store.js"
import { epochStoreContract } from "../../contracts/epoch-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("EpochStore on MariaDB", () => epochStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
