// Compiled body checkers, built on first use of each command: compiling costs milliseconds each, and
// start-up to the first acknowledgement is part of what we promise.
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { TSchema } from "@sinclair/typebox";
import { bodySchema, type KnownCommand } from "./schemas.ts";

export class BodyValidators {
  private readonly compiled = new Map<KnownCommand, TypeCheck<TSchema>>();

  private get(command: KnownCommand): TypeCheck<TSchema> {
    let c = this.compiled.get(command);
    if (!c) {
      c = TypeCompiler.Compile(bodySchema(command));
      this.compiled.set(command, c);
    }
    return c;
  }

  /** null when valid, else the first problem as "path: message". */
  check(command: KnownCommand, body: unknown): string | null {
    const c = this.get(command);
    if (c.Check(body)) return null;
    const e = c.Errors(body).First();
    if (!e) return "does not match the schema";
    return `${e.path || "/"}: ${e.value === undefined ? "required field is missing" : e.message}`;
  }
}
