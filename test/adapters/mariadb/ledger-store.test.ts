import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/ledger-store.js"
import { ledgerStoreContract } from "../../contracts/ledger-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("LedgerStore on MariaDB", () => ledgerStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
