// Calls one Tencent REST API (reference §4.1): POST https://<host>/v4/<service>/<command> with
// sdkappid, identifier, a fresh UserSig, random and contenttype=json in the query. The UserSig is
// made here and never leaves this module except in the request itself: error messages are scrubbed
// of the URL, so neither the sig nor anything derived from the secret key reaches a log.
import { randomInt } from "node:crypto";
import { isRestAnswer, type RestAnswer } from "./rest-answer.ts";
import { genUserSig } from "./usersig.ts";

export interface RestCredentials {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
}

export interface RestCall {
  endpoint: string;
  service: string;
  command: string;
  body: Record<string, unknown>;
  timeoutMs?: number;
}

export class RestError extends Error {}

export function restUrl(endpoint: string, service: string, command: string, creds: RestCredentials): URL {
  const u = new URL(`v4/${service}/${command}`, endpoint.endsWith("/") ? endpoint : `${endpoint}/`);
  const sig = genUserSig(creds.secretKey, {
    sdkAppId: creds.sdkAppId,
    identifier: creds.identifier,
    expireS: 300, // short: every call makes its own
    nowS: Math.floor(Date.now() / 1000),
  });
  u.searchParams.set("sdkappid", String(creds.sdkAppId));
  u.searchParams.set("identifier", creds.identifier);
  u.searchParams.set("usersig", sig);
  u.searchParams.set("random", String(randomInt(0, 2 ** 32)));
  u.searchParams.set("contenttype", "json");
  return u;
}

/** Tencent's answer when it sent one (OK or FAIL); throws RestError when it did not. */
export async function callRest(call: RestCall, creds: RestCredentials): Promise<RestAnswer> {
  const url = restUrl(call.endpoint, call.service, call.command, creds);
  const where = `${url.origin}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      body: JSON.stringify(call.body),
      headers: { "content-type": "application/json" },
      signal: AbortSignal.timeout(call.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const name = (e as Error).name;
    const why = name === "TimeoutError" ? "no answer in time" : (e as Error).message.replaceAll(url.search, "");
    throw new RestError(`POST ${where}: ${why}`);
  }
  const text = await res.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new RestError(`POST ${where}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!isRestAnswer(answer))
    throw new RestError(`POST ${where}: HTTP ${res.status}, not a Tencent answer: ${text.slice(0, 200)}`);
  return answer;
}
