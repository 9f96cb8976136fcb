// A callback's URL exactly as Tencent builds it (reference §1.2): the configured URL plus SdkAppid,
// CallbackCommand, contenttype, ClientIP, OptPlatform, and Sign/RequestTime when a token is set.
// `roomhook send` and the emulator both send with it.
import { computeSign } from "./sign.ts";

export interface CallbackUrlParams {
  sdkAppId: string;
  command: string;
  clientIp: string;
  optPlatform: string;
  token?: string;
  requestTime: number;
}

export function callbackUrl(base: string, p: CallbackUrlParams): string {
  const u = new URL(base);
  u.searchParams.set("SdkAppid", p.sdkAppId);
  u.searchParams.set("CallbackCommand", p.command);
  u.searchParams.set("contenttype", "json");
  u.searchParams.set("ClientIP", p.clientIp);
  u.searchParams.set("OptPlatform", p.optPlatform);
  if (p.token !== undefined) {
    u.searchParams.set("Sign", computeSign(p.token, p.requestTime));
    u.searchParams.set("RequestTime", String(p.requestTime));
  }
  return u.toString();
}
