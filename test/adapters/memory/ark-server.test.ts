import { layer } from "../../../adapters/memory/ark-server.js"
import { arkServerContract } from "../../contracts/ark-server.js"

arkServerContract("simulated arkd", layer())
