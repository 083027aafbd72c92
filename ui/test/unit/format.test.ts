import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatEta,
  formatMoney,
  formatPrice,
  formatRelative,
  formatSpeed,
  percent,
} from "../../src/lib/format";

describe("sizes and speeds", () => {
  it("uses binary units with sensible precision", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.00 KiB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.00 MiB");
    expect(formatBytes(15.5 * 1024 ** 3)).toBe("15.5 GiB");
    expect(formatBytes(200 * 1024 ** 4)).toBe("200 TiB");
  });
  it("shows a dash for unknown or nonsense sizes", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(undefined)).toBe("—");
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
  it("formats speeds per second", () => {
    expect(formatSpeed(1.5 * 1024 * 1024)).toBe("1.50 MiB/s");
    expect(formatSpeed(0)).toBe("0 B/s");
  });
});

describe("times", () => {
  it("says how long is left in the largest useful units", () => {
    expect(formatEta(42)).toBe("42 s");
    expect(formatEta(200)).toBe("3 min 20 s");
    expect(formatEta(3600)).toBe("1 h");
    expect(formatEta(7500)).toBe("2 h 5 min");
    expect(formatEta(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
    expect(formatEta(null)).toBe("—");
  });
  it("says when things happened relative to now", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    expect(formatRelative("2026-11-22T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-11-22T11:55:00Z", now)).toBe("5 minutes ago");
    expect(formatRelative("2026-11-22T15:00:00Z", now)).toBe("in 3 hours");
    expect(formatRelative("2026-11-20T12:00:00Z", now)).toBe("2 days ago");
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("2025-01-02T03:04:00Z", now)).toContain("2025");
  });
});

describe("percentages and prices", () => {
  it("clamps and floors, and knows when the total is unknown", () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(199, 200)).toBe(99);
    expect(percent(500, 200)).toBe(100);
    expect(percent(5, 0)).toBeNull();
    expect(percent(5, null)).toBeNull();
  });
  it("writes invoice amounts in their own currency's units", () => {
    expect(formatMoney(900, "eur")).toBe("€9.00");
    expect(formatMoney(1250, "usd")).toBe("$12.50");
    expect(formatMoney(900, "jpy")).toBe("¥900");
  });
  it("prices plans", () => {
    expect(formatPrice(0)).toBe("Free");
    expect(formatPrice(900)).toBe("$9.00/month");
  });
});
