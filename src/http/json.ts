// The JSON answers of the admin API and the health routes (the callback endpoint has its own,
// Tencent-shaped ones in callback/ack.ts).

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
