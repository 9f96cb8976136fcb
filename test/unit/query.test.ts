import { describe, expect, test } from "bun:test";
import { parseQuery } from "../../src/callback/query.ts";

describe("parseQuery", () => {
  const base = "http://localhost/callback";

  test("reads Tencent's six parameters in their documented spelling", () => {
    expect(
      parseQuery(
        `${base}?SdkAppid=1400000000&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=10.0.0.1&OptPlatform=Web&Sign=ab12&RequestTime=1669872112`,
      ),
    ).toEqual({
      sdkAppId: "1400000000",
      command: "Room.CallbackAfterMemberEnter",
      clientIp: "10.0.0.1",
      optPlatform: "Web",
      sign: "ab12",
      requestTime: "1669872112",
    });
  });

  test("names are case-insensitive; the first occurrence wins", () => {
    expect(parseQuery(`${base}?SDKAPPID=1&sdkappid=2&SdkAppId=3`).sdkAppId).toBe("1");
    expect(parseQuery(`${base}?sdkAppID=7`).sdkAppId).toBe("7");
  });

  test("values are percent-decoded, + is a space, malformed escapes stay as sent", () => {
    expect(parseQuery(`${base}?OptPlatform=Windows%20PC`).optPlatform).toBe("Windows PC");
    expect(parseQuery(`${base}?OptPlatform=a+b`).optPlatform).toBe("a b");
    expect(parseQuery(`${base}?OptPlatform=%E0%A4%A`).optPlatform).toBe("%E0%A4%A");
    expect(parseQuery(`${base}?Sdk%41ppid=5`).sdkAppId).toBe("5"); // an encoded name
  });

  test("no query, empty parts, a name without a value, a fragment, unknown names", () => {
    expect(parseQuery(base)).toEqual({});
    expect(parseQuery(`${base}?&&SdkAppid=1&`)).toEqual({ sdkAppId: "1" });
    expect(parseQuery(`${base}?Sign`)).toEqual({ sign: "" });
    expect(parseQuery(`${base}?SdkAppid=1#Sign=x`)).toEqual({ sdkAppId: "1" });
    expect(parseQuery(`${base}?toString=1&__proto__=2&constructor=3`)).toEqual({});
  });
});
