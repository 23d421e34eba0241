import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/transaction-store.js"
import { transactionStoreContract } from "../../contracts/transaction-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("TransactionStore on MariaDB", () => transactionStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
