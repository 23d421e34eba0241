import { layer } from "../../../adapters/memory/epoch-store.js"
import { epochStoreContract } from "../../contracts/epoch-store.js"

epochStoreContract("memory", layer)
