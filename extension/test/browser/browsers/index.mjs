// The browsers the extension's tests run in: each test file runs once per browser.
import { launchChromium } from "./chromium.mjs";
import { launchFirefox } from "./firefox.mjs";

const LAUNCHERS = { chromium: launchChromium, firefox: launchFirefox };

/** `TSEEDER_BROWSERS=chromium` (or `firefox`) narrows a run to one; both by default. */
export const BROWSERS = (process.env.TSEEDER_BROWSERS ?? "chromium,firefox").split(",").map((b) => b.trim());

export function launch(name, options) {
  const launcher = LAUNCHERS[name];
  if (!launcher) throw new Error(`unknown browser ${name}`);
  return launcher(options);
}
