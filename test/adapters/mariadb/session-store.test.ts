import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/session-store.js"
import { sessionStoreContract } from "../../contracts/session-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("SessionStore on MariaDB", () => sessionStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
