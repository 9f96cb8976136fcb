// npm run build: one self-contained executable, dist/roomhook (README "Install on a VM": one file to copy).
import { $ } from "bun";
import pkg from "../package.json" with { type: "json" };

const outfile = process.argv[2] ?? "dist/roomhook";
// Worker threads' entry points ride along; src/delivery/fanout-host.ts finds them under /$bunfs/root/.
const threads = ["src/delivery/fanout-thread.ts", "src/rooms/rooms-thread.ts"];
await $`bun build --compile --minify --sourcemap --bytecode --format=esm --production --no-compile-autoload-dotenv --no-compile-autoload-bunfig --define ROOMHOOK_VERSION=${JSON.stringify(pkg.version)} src/main.ts ${threads} --outfile ${outfile}`;
await $`rm -f ${outfile}.map`.nothrow();
console.log(`built ${outfile}`);
