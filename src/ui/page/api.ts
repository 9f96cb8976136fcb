// Calls to the admin API from the page: same origin only, with the admin token (kept in this tab's
// sessionStorage) as a bearer token. A 401 hands control to the token prompt.
const TOKEN_KEY = "roomhook.adminToken";

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Lines {
  lines: string[];
  nextSeq: number;
  headSeq: number;
}

export class Api {
  constructor(private readonly onUnauthorized: () => void) {}

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(t: string | null) {
    if (t === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, t);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const t = this.token;
    if (t) headers.set("authorization", `Bearer ${t}`);
    const res = await fetch(path, { ...init, headers, cache: "no-store", credentials: "omit" });
    if (res.status === 401) {
      this.onUnauthorized();
      throw new Unauthorized("the admin token was refused");
    }
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.request(path)).json()) as T;
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    const res = await this.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return (await res.json()) as T;
  }

  /** GET /v1/events or /v1/quarantine: NDJSON lines, kept as text so bodies keep every digit. */
  async lines(path: string): Promise<Lines> {
    const res = await this.request(path);
    const text = await res.text();
    return {
      lines: text.split("\n").filter((l) => l !== ""),
      nextSeq: Number(res.headers.get("x-next-seq") ?? 0),
      headSeq: Number(res.headers.get("x-head-seq") ?? 0),
    };
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (typeof v.error === "string") return v.error;
  } catch {}
  return `HTTP ${res.status}`;
}

/** Runs `tick` now and then every `everyMs` after it settles, until the returned stop is called. */
export function poll(tick: () => Promise<void>, everyMs: number, onError: (e: unknown) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = async () => {
    try {
      await tick();
    } catch (e) {
      if (!stopped) onError(e);
    }
    if (!stopped) timer = setTimeout(run, everyMs);
  };
  void run();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
