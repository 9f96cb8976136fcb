// A target's configuration with the schema's defaults, for tests that build workers in process.
import { Value } from "@sinclair/typebox/value";
import { type HttpTargetConfig, TargetSchema } from "../../src/config/schema.ts";

export const TEST_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Name "t", a closed loopback port as the URL (nothing answers there), the test secret. */
export function targetConfig(over: Partial<HttpTargetConfig> = {}): HttpTargetConfig {
  return Value.Default(TargetSchema, {
    name: "t",
    url: "http://127.0.0.1:9/x",
    secret: TEST_SECRET,
    ...over,
  }) as HttpTargetConfig;
}
