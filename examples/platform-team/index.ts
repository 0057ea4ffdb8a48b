// Entry point for the Pulumi CLI: Pulumi calls the exported function and exports what it returns.
import * as pulumi from "@pulumi/pulumi";
import { shopPlatform, shopPlatformByHand } from "./program";

// `shop:composition: by-hand` builds the hand-composed variant (Pulumi.by-hand.yaml); anything else the ReleaseEnvironment.
export = () => (new pulumi.Config("shop").get("composition") === "by-hand" ? shopPlatformByHand() : shopPlatform());
