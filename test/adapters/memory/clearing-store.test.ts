import { layer } from "../../../adapters/memory/clearing-store.js"
import { clearingStoreContract } from "../../contracts/clearing-store.js"

clearingStoreContract("memory", layer)
