import { layer } from "../../../adapters/memory/session-store.js"
import { sessionStoreContract } from "../../contracts/session-store.js"

sessionStoreContract("memory", layer)
