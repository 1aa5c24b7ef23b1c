// A short app session against a running Kiosk (KIOSK_API_URL): register, read
// the feed, send events, read the inbox, refresh the token, read the profile
// with the new one. The Go test TestTheTypeScriptClientRunsAnAppSession runs
// it against the local cloud; `node` on the compiled file runs it by hand.
import { createKioskClient, memoryStore } from "./client.js";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

function fail(what: string, status: number, body: unknown): never {
  throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
}

async function main(): Promise<void> {
  const baseUrl = process.env.KIOSK_API_URL ?? "http://127.0.0.1:3000";
  const store = memoryStore();
  const kiosk = createKioskClient(baseUrl, store);

  const first = await kiosk.register(crypto.randomUUID());

  const feed = await kiosk.api.GET("/v1/feed", { params: { query: { category: "top", limit: 5 } } });
  if (!feed.data) fail("GET /v1/feed", feed.response.status, feed.error);
  const items = feed.data.items;
  if (items.length === 0) fail("GET /v1/feed: no items", feed.response.status, feed.data);

  const now = new Date().toISOString();
  const events = await kiosk.api.POST("/v1/events", {
    body: {
      events: [
        { id: crypto.randomUUID(), type: "impression", article_id: items[0].id, at: now },
        { id: crypto.randomUUID(), type: "click", article_id: items[0].id, at: now },
        { id: crypto.randomUUID(), type: "read", article_id: items[0].id, at: now, dwell_ms: 30000 },
      ],
    },
  });
  if (!events.data) fail("POST /v1/events", events.response.status, events.error);

  const inbox = await kiosk.api.GET("/v1/notifications", { params: { query: { limit: 10 } } });
  if (!inbox.data) fail("GET /v1/notifications", inbox.response.status, inbox.error);

  const next = await kiosk.refresh();
  if (next.token === first.token || next.refresh_token === first.refresh_token) {
    fail("POST /v1/users/token/refresh: the pair did not change", 200, next);
  }
  const me = await kiosk.api.GET("/v1/users/me");
  if (!me.data) fail("GET /v1/users/me with the refreshed token", me.response.status, me.error);

  // The old refresh token works once: presenting it again ends the session.
  store.set(first);
  const reused = await kiosk.refresh().then(() => "accepted", (e: Error) => e.message);

  console.log(JSON.stringify({
    user_id: first.user_id,
    feed_items: items.length,
    first_item: items[0].id,
    accepted: events.data.accepted,
    duplicates: events.data.duplicates,
    notifications: inbox.data.items.length,
    refreshed: next.user_id === first.user_id,
    me: me.data.user_id,
    reused_refresh_token: reused,
  }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
