import { Layer } from "effect"
import { layer } from "../../../adapters/mariadb/packet-store.js"
import { packetStoreContract } from "../../contracts/packet-store.js"
import { testSqlLayer, withMariadb } from "../../support/mariadb.js"

await withMariadb("PacketStore on MariaDB", () => packetStoreContract("mariadb", layer.pipe(Layer.provide(testSqlLayer))))
