// What a test does in a tab, written once for every browser on top of three primitives each
// browser provides: `evaluate` (a function in the page's own script world), `clickTrusted` (a
// real pointer click, as a person makes) and `screenshot`.

/** Polls `check` until it returns something truthy. */
export async function eventually(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export class Tab {
  /** Every URL a navigation of this tab started towards, external schemes included. */
  navigations = [];

  /** Clicks the first element matching `css` (holding `hasText`, then its `inner` descendant). */
  async click(css, { hasText, inner } = {}) {
    await this.waitFor(css, { hasText });
    await this.clickTrusted({ css, hasText, inner });
  }

  /** Types `text` into a field, replacing what it held, with the events typing fires. */
  fill(css, text) {
    return this.setValue(css, text);
  }

  /** Picks `value` in a select, with the events picking fires. */
  select(css, value) {
    return this.setValue(css, value);
  }

  async setValue(css, value) {
    await this.waitFor(css);
    await this.evaluate(
      ({ css, value }) => {
        const field = document.querySelector(css);
        field.focus();
        field.value = value;
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
      },
      { css, value },
    );
  }

  /** Waits for an element matching `css`, holding `hasText` when given. */
  async waitFor(css, { hasText, timeoutMs } = {}) {
    await eventually(
      `${css}${hasText ? ` holding "${hasText}"` : ""}`,
      () =>
        this.evaluate(
          ({ css, hasText }) =>
            [...document.querySelectorAll(css)].some((e) => !hasText || e.textContent.includes(hasText)),
          { css, hasText },
        ),
      timeoutMs,
    );
  }

  /** Waits until the page shows `text`. */
  waitForText(text, timeoutMs) {
    return this.waitFor("body", { hasText: text, timeoutMs });
  }

  attribute(css, name) {
    return this.evaluate(({ css, name }) => document.querySelector(css)?.getAttribute(name) ?? null, { css, name });
  }

  count(css) {
    return this.evaluate((css) => document.querySelectorAll(css).length, css);
  }

  url() {
    return this.evaluate(() => location.href);
  }
}

/** The page function that finds a click's target, scrolled into view. */
export function clickTarget({ css, hasText, inner }) {
  let found = [...document.querySelectorAll(css)].find((e) => !hasText || e.textContent.includes(hasText));
  if (found && inner) found = found.querySelector(inner);
  found?.scrollIntoView({ block: "center" });
  return found ?? null;
}
