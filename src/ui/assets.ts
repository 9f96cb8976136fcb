// The dashboard's files (index.html plus its hashed script and style sheet), bundled when this
// module is transpiled: by `bun build --compile` into the binary, by `bun` when run from source.
import { bundlePage } from "./bundle.ts" with { type: "macro" };

export const UI_FILES: Readonly<Record<string, string>> = bundlePage();
