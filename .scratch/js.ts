import { z } from "zod";
import { releaseConfigSchema } from "../src/config/schema";
const s = z.toJSONSchema(releaseConfigSchema, { unrepresentable: "any" });
console.log(JSON.stringify(s, null, 1).slice(0, 3000));
console.log(JSON.stringify(s).length);
