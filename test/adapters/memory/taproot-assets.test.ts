import { layer } from "../../../adapters/memory/taproot-assets.js"
import { taprootAssetsContract } from "../../contracts/taproot-assets.js"

taprootAssetsContract("simulated tapd", layer())
