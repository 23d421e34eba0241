import { layer } from "../../../adapters/memory/packet-store.js"
import { packetStoreContract } from "../../contracts/packet-store.js"

packetStoreContract("memory", layer)
