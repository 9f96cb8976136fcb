// Types for Tencent's tls-sig-api-v2 (CommonJS, untyped), the UserSig oracle of the tests. Imported
// by file: its package.json has two "main" keys and Bun takes the wrong one (bun-elysia-notes).
declare module "tls-sig-api-v2/TLSSigAPIv2.js" {
  export class Api {
    constructor(sdkappid: number, key: string);
    genUserSig(userid: string, expire: number): string;
    genPrivateMapKey(userid: string, expire: number, roomid: number, privilegeMap: number): string;
  }
}
