// The API key out of content scripts' reach. `chrome.storage.local` is readable by every content
// script the extension runs in web pages; the extension origin's IndexedDB is not (a content
// script's IndexedDB is the page's). Settings therefore go through a store that keeps the key in
// IndexedDB and everything else in `chrome.storage.local`, and moves a key stored by an earlier
// version out of local storage the first time it is read.

import type { KeyValueStore } from "./settings";

const SETTINGS = "settings";

/**
 * A store that behaves like `local` for every key, except that the `settings` value's `apiKey`
 * lives in `secrets`.
 */
export function splitSecretStore(local: KeyValueStore, secrets: KeyValueStore): KeyValueStore {
  return {
    async get(keys) {
      const items = await local.get(keys);
      if (!keys.includes(SETTINGS)) {
        return items;
      }
      const stored = asRecord(items[SETTINGS]);
      const secret = (await secrets.get(["apiKey"])).apiKey;
      if (typeof stored.apiKey === "string" && stored.apiKey !== "") {
        // Written by an earlier version: move it.
        if (typeof secret !== "string" || secret === "") {
          await secrets.set({ apiKey: stored.apiKey });
        }
        const { apiKey: moved, ...rest } = stored;
        await local.set({ [SETTINGS]: rest });
        return { ...items, [SETTINGS]: { ...rest, apiKey: typeof secret === "string" && secret ? secret : moved } };
      }
      return { ...items, [SETTINGS]: { ...stored, apiKey: typeof secret === "string" ? secret : "" } };
    },
    async set(values) {
      if (!(SETTINGS in values)) {
        return local.set(values);
      }
      const { apiKey, ...rest } = asRecord(values[SETTINGS]);
      await secrets.set({ apiKey: typeof apiKey === "string" ? apiKey : "" });
      await local.set({ ...values, [SETTINGS]: rest });
    },
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? { ...(value as Record<string, unknown>) } : {};
}

/** A key-value store in the extension origin's IndexedDB. */
export function indexedDbStore(name = "tseeder-secrets"): KeyValueStore {
  let opened: Promise<IDBDatabase> | undefined;
  const database = () =>
    (opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("values");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error("IndexedDB is not available"));
    }));
  const run = async <T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>[]) => {
    const db = await database();
    return new Promise<T[]>((resolve, reject) => {
      const transaction = db.transaction("values", mode);
      const requests = work(transaction.objectStore("values"));
      transaction.oncomplete = () => resolve(requests.map((request) => request.result));
      transaction.onerror = () => reject(transaction.error ?? new Error("IndexedDB write failed"));
    });
  };
  return {
    async get(keys) {
      const values = await run("readonly", (store) => keys.map((key) => store.get(key) as IDBRequest<unknown>));
      return Object.fromEntries(keys.flatMap((key, i) => (values[i] === undefined ? [] : [[key, values[i]]])));
    },
    async set(items) {
      await run("readwrite", (store) => Object.entries(items).map(([key, value]) => store.put(value, key)));
    },
  };
}

/** The store the extension's pages and service worker keep their settings and history in. */
export function extensionStore(): KeyValueStore {
  return splitSecretStore(chrome.storage.local, indexedDbStore());
}
