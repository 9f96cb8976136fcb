// The shared file-writing helpers: whole writes or an error, and atomic replacement.
import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { replaceFile, replaceFileSync, writeFullySync } from "../../src/io/files.ts";
import { tempDir } from "../support/app.ts";

describe("writeFullySync", () => {
  test("keeps writing after short writes until every byte is out", () => {
    const path = join(tempDir(), "f");
    const fd = openSync(path, "w");
    let calls = 0;
    // At most 3 bytes per write(2), as a nearly full disk may do.
    writeFullySync(fd, Buffer.from("hello, world"), (f, b, o, l) => {
      calls++;
      return writeSync(f, b, o, Math.min(3, l));
    });
    closeSync(fd);
    expect(readFileSync(path, "utf8")).toBe("hello, world");
    expect(calls).toBe(4);
  });

  test("a write that makes no progress is an ENOSPC error, not an endless loop or a success", () => {
    const path = join(tempDir(), "f");
    const fd = openSync(path, "w");
    let calls = 0;
    const zeroAfterFive = (f: number, b: Buffer, o: number, l: number) =>
      ++calls === 1 ? writeSync(f, b, o, Math.min(5, l)) : 0;
    expect(() => writeFullySync(fd, Buffer.from("0123456789"), zeroAfterFive)).toThrow(/ENOSPC/);
    closeSync(fd);
    expect(calls).toBe(2);
    expect(readFileSync(path, "utf8")).toBe("01234");
  });
});

describe("replaceFileSync / replaceFile", () => {
  test("replace the content whole and leave no temp file, sync and async alike", async () => {
    const dir = tempDir();
    const path = join(dir, "cursor.json");
    replaceFileSync(path, "first\n", true);
    expect(readFileSync(path, "utf8")).toBe("first\n");
    await replaceFile(path, "second\n");
    expect(readFileSync(path, "utf8")).toBe("second\n");
    replaceFileSync(path, new Uint8Array([0x61, 0x62]), false);
    expect(readFileSync(path, "utf8")).toBe("ab");
    expect(readdirSync(dir)).toEqual(["cursor.json"]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});
