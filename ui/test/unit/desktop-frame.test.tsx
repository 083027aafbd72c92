// desktop.html's static frame is painted before the screens' code runs (src/desktop/main.ts), and
// React then replaces it with what DesktopApp renders while the app's core opens. If the two
// differ, the window jumps at start-up; this keeps them the same.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { readFileSync } from "node:fs";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DesktopApp } from "../../src/desktop/App";
import type { DesktopApi } from "../../src/desktop/api";

/** Markup with comments gone and the whitespace that indentation adds between tags removed. */
function normalised(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/\s+/g, " ")
    .replace(/>\s+</g, "><")
    .replace(/\s+<\//g, "</")
    .replace(/\s*\/>/g, ">")
    .trim();
}

function staticFrame(): string {
  const page = readFileSync(new URL("../../desktop.html", import.meta.url), "utf8");
  const start = page.indexOf('<div id="root">');
  const end = page.lastIndexOf("</div>", page.indexOf("<script"));
  expect(start, "desktop.html has no root element").toBeGreaterThan(-1);
  return page.slice(start + '<div id="root">'.length, end);
}

describe("the desktop window's first frame", () => {
  it("is what the app renders while its core opens", () => {
    // The core has not answered: the app-state query stays pending, and no effect runs.
    const api = {} as DesktopApi;
    const rendered = renderToStaticMarkup(
      <QueryClientProvider client={new QueryClient()}>
        <DesktopApp api={api} />
      </QueryClientProvider>,
    );
    // React's server renderer adds preload hints for images; the client never puts them in the DOM.
    const withoutHints = rendered.replace(/<link rel="preload"[^>]*>/g, "");
    expect(normalised(staticFrame())).toBe(normalised(withoutHints));
    expect(rendered).toContain("Loading tseeder");
  });
});
