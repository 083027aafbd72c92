// Sign-up with the captcha on: the page loads the configured widget script (its origin allowed by
// the console's CSP), the widget's token goes to the API, and the API checks it with the verify
// endpoint using the secret. Both captcha endpoints are a local server that records what it gets.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { freePort, launchBrowser, newPage, screenshot, startCloud } from "./support.mjs";

const SECRET = "captcha-secret-for-tests";
const TOKEN = "widget-token-7f3a";
let widget;
let verifications = [];
let cloud;
let browser;

/** Turnstile's client API, enough of it: render() shows a box and hands over a token. */
const WIDGET_SCRIPT = `
window.turnstile = {
  render(element, options) {
    const box = document.createElement("label");
    const check = document.createElement("input");
    check.type = "checkbox";
    check.addEventListener("change", () => options.callback(${JSON.stringify(TOKEN)}));
    box.append(check, " I am a person (site key " + options.sitekey + ")");
    element.append(box);
    return "widget-1";
  },
};`;

before(async () => {
  const port = await freePort();
  widget = createServer((req, res) => {
    if (req.url.startsWith("/api.js")) {
      res.writeHead(200, { "content-type": "text/javascript" });
      return res.end(WIDGET_SCRIPT);
    }
    if (req.url === "/siteverify" && req.method === "POST") {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        verifications.push({ secret: form.get("secret"), response: form.get("response") });
        const success = form.get("secret") === SECRET && form.get("response") === TOKEN;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ success }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((done) => widget.listen(port, "127.0.0.1", done));
  const origin = `http://127.0.0.1:${port}`;
  [cloud, browser] = await Promise.all([
    startCloud({
      TSEEDER_CAPTCHA__VERIFY_URL: `${origin}/siteverify`,
      TSEEDER_CAPTCHA__SECRET: SECRET,
      TSEEDER_CAPTCHA__SITE_KEY: "public-site-key",
      TSEEDER_CAPTCHA__SCRIPT_URL: `${origin}/api.js?render=explicit`,
      TSEEDER_EMBEDDED_AGENT__ENABLED: "false",
    }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
  await new Promise((done) => widget?.close(done));
});

test("sign-up shows the captcha widget and the API verifies its token", async () => {
  const { page, context, problems } = await newPage(browser);
  await page.goto(`${cloud.base}/signup`);
  await page.getByText("I am a person (site key public-site-key)").waitFor();
  await page.getByLabel("Email").fill("captcha-user@tseeder.test");
  await page.getByLabel("Password").fill("a long enough passphrase");
  await page.getByRole("checkbox", { name: /acceptable use policy/ }).check();
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Complete the captcha first.").waitFor();
  assert.equal(verifications.length, 0);
  await screenshot(page, "public-signup-captcha");

  await page.getByRole("checkbox", { name: /I am a person/ }).check();
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  assert.deepEqual(verifications, [{ secret: SECRET, response: TOKEN }]);
  assert.deepEqual(problems, []);
  await context.close();
});
