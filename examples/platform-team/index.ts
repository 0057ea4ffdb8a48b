// Entry point for the Pulumi CLI: Pulumi calls the exported function and exports what it returns.
import { shopPlatform } from "./program";

export = () => shopPlatform();
