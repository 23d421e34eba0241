import { layer } from "../../../adapters/memory/lightning.js"
import { lightningContract } from "../../contracts/lightning.js"

lightningContract("simulated lnd", layer())
