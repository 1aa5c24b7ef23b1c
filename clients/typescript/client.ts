// A typed client for Kiosk's HTTP API: openapi-fetch over the types that
// `make client` generates from infra/topology/openapi.json (schema.d.ts).
// Every path, parameter, body and response is typed from the contract; this
// file adds only the token lifecycle (send the access token, refresh it before
// it expires, keep the new pair).
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
 * before it expires.
 */
export function createKioskClient(baseUrl: string, store: TokenStore = memoryStore()): KioskClient {
  const api = createClient<paths>({ baseUrl });
  // A second client without the middleware: the refresh call must not recurse.
  const bare = createClient<paths>({ baseUrl });

  async function keep(r: Registration | undefined, error: ApiError | undefined, status: number): Promise<Registration> {
    if (!r) {
      throw new Error(`kiosk: ${status} ${error?.error.code ?? ""}: ${error?.error.message ?? "no body"}`);
    }
    store.set(r);
    return r;
  }

  async function refresh(): Promise<Registration> {
    const current = store.get();
    if (!current) throw new Error("kiosk: not registered");
    const { data, error, response } = await bare.POST("/v1/users/token/refresh", {
      body: { refresh_token: current.refresh_token },
    });
    return keep(data, error as ApiError | undefined, response.status);
  }

  const auth: Middleware = {
    async onRequest({ request, schemaPath }) {
      const public_ = schemaPath === "/v1/users" || schemaPath === "/v1/users/token/refresh";
      if (public_ || request.headers.has("Authorization")) return request;
      let r = store.get();
      if (!r) return request;
      if (Date.parse(r.expires_at) - Date.now() < refreshMarginMs) r = await refresh();
      request.headers.set("Authorization", `Bearer ${r.token}`);
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
