// Entry point for the Pulumi CLI (Pulumi.yaml `main`): Pulumi calls the exported function and exports what it returns.
import { releasePlatform } from "./program";

export = () => releasePlatform();
