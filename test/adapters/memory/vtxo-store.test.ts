import { layer } from "../../../adapters/memory/vtxo-store.js"
import { vtxoStoreContract } from "../../contracts/vtxo-store.js"

vtxoStoreContract("memory", layer)
