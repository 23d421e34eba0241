import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/invoice-store.js"
import { invoiceStoreContract } from "../../contracts/invoice-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("InvoiceStore on MariaDB", () => invoiceStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
