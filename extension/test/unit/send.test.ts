import { describe, expect, it } from "vitest";
import { loadRecent, MAX_RECENT, timeAgo } from "../../src/core/history";
import { splitSecretStore } from "../../src/core/secretstore";
import { sendLink, type SendDeps, undoSend } from "../../src/core/send";
import {
  type KeyValueStore,
  loadSettings,
  normalizeCloudUrl,
  parseSettings,
  saveSettings,
  type Settings,
} from "../../src/core/settings";

const MAGNET = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Debian";

function memoryStore(): KeyValueStore & { items: Record<string, unknown> } {
  const items: Record<string, unknown> = {};
  return {
    items,
    async get(keys) {
      return Object.fromEntries(keys.filter((k) => k in items).map((k) => [k, structuredClone(items[k])]));
    },
    async set(values) {
      Object.assign(items, structuredClone(values));
    },
  };
}

function deps(store: KeyValueStore, overrides: Partial<SendDeps> = {}): SendDeps & { opened: string[] } {
  const opened: string[] = [];
  return {
    store,
    opened,
    openDeepLink: async (url) => {
      opened.push(url);
    },
    hasOriginPermission: async () => true,
    fetch: (async () => {
      throw new TypeError("no network in this test");
    }) as typeof fetch,
    now: () => 1_000_000,
    ...overrides,
  };
}

async function withSettings(partial: Partial<Settings>) {
  const store = memoryStore();
  await saveSettings(store, { ...parseSettings({}), ...partial });
  return store;
}

describe("sendLink", () => {
  it("opens exactly one deep link in desktop mode, with the default destination", async () => {
    const store = await withSettings({ mode: "desktop", dest: "local" });
    const d = deps(store);
    const result = await sendLink(d, MAGNET, "default");
    expect(d.opened).toEqual([`tseeder://add?uri=${encodeURIComponent(MAGNET)}&dest=local`]);
    expect(result).toMatchObject({ ok: true, name: "Debian", dest: "local", mode: "desktop" });
    expect(await loadRecent(store)).toEqual([result]);
  });

  it("refuses cloud mode without a key, and remembers why", async () => {
    const store = await withSettings({ mode: "cloud" });
    const result = await sendLink(deps(store), MAGNET, "cloud");
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/API key/);
    expect((await loadRecent(store))[0]?.ok).toBe(false);
  });

  it("refuses cloud mode when the origin was not allowed", async () => {
    const store = await withSettings({ mode: "cloud", cloudUrl: "https://c.example", apiKey: "tsk_abcdefghij" });
    const result = await sendLink(deps(store, { hasOriginPermission: async () => false }), MAGNET, "cloud");
    expect(result).toMatchObject({ ok: false });
    expect(result.message).toMatch(/may not contact https:\/\/c\.example/);
  });

  it("keeps only the most recent sends", async () => {
    const store = await withSettings({ mode: "desktop" });
    for (let i = 0; i < MAX_RECENT + 5; i++) {
      await sendLink(deps(store), MAGNET, "ask");
    }
    expect(await loadRecent(store)).toHaveLength(MAX_RECENT);
  });
});

describe("settings", () => {
  it("falls back to defaults for anything malformed", () => {
    expect(parseSettings({ mode: "weird", dest: "moon", intercept: "yes", apiKey: 5 })).toEqual({
      mode: "desktop",
      dest: "ask",
      intercept: false,
      cloudUrl: "",
      apiKey: "",
    });
  });

  it("accepts https anywhere and plain http only on this machine", () => {
    expect(normalizeCloudUrl("https://tseeder.example.org/console/")).toEqual({
      origin: "https://tseeder.example.org",
    });
    expect(normalizeCloudUrl("http://127.0.0.1:8080")).toEqual({ origin: "http://127.0.0.1:8080" });
    expect(normalizeCloudUrl("http://localhost:8080/x")).toEqual({ origin: "http://localhost:8080" });
    expect(normalizeCloudUrl("http://tseeder.example.org")).toHaveProperty("error");
    expect(normalizeCloudUrl("https://me:pw@tseeder.example.org")).toHaveProperty("error");
    expect(normalizeCloudUrl("ftp://tseeder.example.org")).toHaveProperty("error");
    expect(normalizeCloudUrl("tseeder")).toHaveProperty("error");
  });
});

describe("timeAgo", () => {
  it("speaks like a person", () => {
    const now = 10_000_000;
    expect(timeAgo(now - 10_000, now)).toBe("just now");
    expect(timeAgo(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(timeAgo(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(timeAgo(now - 2 * 86_400_000, now)).toBe("2 d ago");
  });
});

describe("undoSend", () => {
  it("deletes the cloud job of a send and marks it undone, once", async () => {
    const store = await withSettings({ mode: "cloud", cloudUrl: "https://cloud.example.org", apiKey: "tsk_k" });
    const calls: string[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${url}`);
      if (init?.method === "POST") {
        return new Response(JSON.stringify({ job: { id: "job-1", name: "Debian", status: "queued" } }), {
          status: 201,
        });
      }
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const d = deps(store, { fetch: fetchImpl });
    const sent = await sendLink(d, MAGNET, "cloud");
    expect(sent).toMatchObject({ ok: true, jobId: "job-1" });

    const undone = await undoSend(d, sent.at);
    expect(calls).toContain("DELETE https://cloud.example.org/api/v1/jobs/job-1");
    expect(undone).toMatchObject({ undone: true, message: "Undone: the job was removed" });
    expect((await loadRecent(store))[0]).toMatchObject({ undone: true });
    await expect(undoSend(d, sent.at)).rejects.toThrow(/cannot be undone/);
  });

  it("refuses to undo a desktop hand-over or an unknown send", async () => {
    const store = await withSettings({ mode: "desktop", dest: "local" });
    const d = deps(store);
    const sent = await sendLink(d, MAGNET, "default");
    await expect(undoSend(d, sent.at)).rejects.toThrow(/cannot be undone/);
    await expect(undoSend(d, 42)).rejects.toThrow(/cannot be undone/);
  });
});

describe("splitSecretStore", () => {
  it("keeps the API key out of local storage and gives it back with the settings", async () => {
    const local = memoryStore();
    const secrets = memoryStore();
    const store = splitSecretStore(local, secrets);
    await saveSettings(store, {
      ...parseSettings({}),
      mode: "cloud",
      cloudUrl: "https://c.example",
      apiKey: "tsk_secret",
    });
    expect(JSON.stringify(local.items)).not.toContain("tsk_secret");
    expect(secrets.items).toEqual({ apiKey: "tsk_secret" });
    expect(await loadSettings(store)).toMatchObject({
      mode: "cloud",
      cloudUrl: "https://c.example",
      apiKey: "tsk_secret",
    });
    await store.set({ recent: [1] });
    expect(local.items.recent).toEqual([1]);
  });

  it("moves a key an earlier version left in local storage", async () => {
    const local = memoryStore();
    await local.set({ settings: { mode: "cloud", cloudUrl: "https://c.example", apiKey: "tsk_old" } });
    const secrets = memoryStore();
    const settings = await loadSettings(splitSecretStore(local, secrets));
    expect(settings.apiKey).toBe("tsk_old");
    expect(JSON.stringify(local.items)).not.toContain("tsk_old");
    expect(secrets.items).toEqual({ apiKey: "tsk_old" });
  });
});
