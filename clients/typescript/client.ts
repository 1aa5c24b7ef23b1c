// A typed client for Kiosk's HTTP API: openapi-fetch over the types that
// `make client` generates from infra/topology/openapi.json (schema.d.ts).
// Every path, parameter, body and response is typed from the contract; this
// file adds only the token lifecycle (send the access token, refresh it before
// it expires or is refused, once for concurrent calls, keep the new pair).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Registration = components["schemas"]["Registration"];
export type ApiError = components["schemas"]["Error"];

/** Where the app keeps its credentials (secure storage on a device). */
export interface TokenStore {
  get(): Registration | undefined;
  set(r: Registration): void;
}

/** A TokenStore in memory: for tests and short-lived scripts. */
export function memoryStore(): TokenStore {
  let r: Registration | undefined;
  return { get: () => r, set: (next) => { r = next; } };
}

export interface KioskClient {
  /** The typed API: api.GET("/v1/feed", { params: { query: { limit: 20 } } }), … */
  api: Client<paths>;
  /** Registers this install (POST /v1/users) and keeps its tokens. */
  register(idempotencyKey?: string): Promise<Registration>;
  /** Swaps the refresh token for the next pair (POST /v1/users/token/refresh) and keeps it. */
  refresh(): Promise<Registration>;
}

/** How long before expires_at the client refreshes the access token. */
const refreshMarginMs = 60_000;

/**
 * createKioskClient returns a client for the API at baseUrl (e.g.
 * http://127.0.0.1:3000 for make dev, or the ApiUrl stack output). User routes
 * get `Authorization: Bearer <token>` from the store, refreshed a minute
 * before it expires; a 401/403 on a user route refreshes once and retries
 * once. Concurrent calls share one refresh (a refresh token works once).
 */
export function createKioskClient(baseUrl: string, store: TokenStore = memoryStore()): KioskClient {
  // User routes go through authFetch: a 401/403 refreshes the pair once and
  // sends the request again.
  const api = createClient<paths>({ baseUrl, fetch: authFetch });
  // A second client without the middleware: the refresh call must not recurse.
  const bare = createClient<paths>({ baseUrl });

  async function keep(r: Registration | undefined, error: ApiError | undefined, status: number): Promise<Registration> {
    if (!r) {
      throw new Error(`kiosk: ${status} ${error?.error.code ?? ""}: ${error?.error.message ?? "no body"}`);
    }
    store.set(r);
    return r;
  }

  // One refresh at a time: a refresh token works once, so two calls that both
  // see the token near expiry (or both get a 401) must share one refresh, not
  // present the same refresh token twice, which ends the session.
  let inflight: Promise<Registration> | undefined;
  function refresh(): Promise<Registration> {
    inflight ??= (async () => {
      try {
        const current = store.get();
        if (!current) throw new Error("kiosk: not registered");
        const { data, error, response } = await bare.POST("/v1/users/token/refresh", {
          body: { refresh_token: current.refresh_token },
        });
        return await keep(data, error as ApiError | undefined, response.status);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  // A fresh access token: the stored one, or the next pair when it expires
  // within the margin (awaiting a refresh already in flight).
  async function token(): Promise<Registration | undefined> {
    if (inflight) return inflight;
    const r = store.get();
    if (r && Date.parse(r.expires_at) - Date.now() < refreshMarginMs) return refresh();
    return r;
  }

  // The requests whose Authorization this client set (not a caller's own header).
  const ours = new WeakSet<Request>();

  async function authFetch(request: Request): Promise<Response> {
    const sent = request.headers.get("Authorization");
    if (!ours.has(request) || !sent) return fetch(request);
    const again = request.clone(); // the body can be read once
    const response = await fetch(request);
    if (response.status !== 401 && response.status !== 403) return response;
    // The token was refused (expired, or an older pair): refresh once, unless
    // another call already did, and retry once with the new token.
    let r = inflight ? await inflight : store.get();
    if (!r) return response;
    if (`Bearer ${r.token}` === sent) r = await refresh();
    await response.body?.cancel();
    again.headers.set("Authorization", `Bearer ${r.token}`);
    return fetch(again);
  }

  const auth: Middleware = {
    async onRequest({ request, schemaPath }) {
      const public_ = schemaPath === "/v1/users" || schemaPath === "/v1/users/token/refresh";
      if (public_ || request.headers.has("Authorization")) return request;
      const r = await token();
      if (!r) return request;
      request.headers.set("Authorization", `Bearer ${r.token}`);
      ours.add(request);
      return request;
    },
  };
  api.use(auth);

  return {
    api,
    refresh,
    async register(idempotencyKey?: string) {
      const { data, error, response } = await bare.POST("/v1/users", {
        params: { header: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} },
      });
      return keep(data, error as ApiError | undefined, response.status);
    },
  };
}
