// The REST API's reserved domains by the SDKAppID's region (reference §4.1). Conference pages list
// Singapore; the others are from the sibling Live/Call pages of the same backend.
export const REGIONS = {
  sgp: "https://adminapisgp.im.qcloud.com",
  cn: "https://console.tim.qq.com",
  usa: "https://adminapiusa.im.qcloud.com",
  kr: "https://adminapikr.im.qcloud.com",
  idn: "https://adminapiidn.im.qcloud.com",
} as const;

export type Region = keyof typeof REGIONS;
export const DEFAULT_REGION: Region = "sgp";

export function isRegion(name: string): name is Region {
  return Object.hasOwn(REGIONS, name);
}
