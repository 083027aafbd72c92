// The desktop app's entry. WebKit paints nothing while a script runs, and the screens' code (React
// and every screen, most of the bundle) takes longer to compile and run than the window takes to
// appear; so desktop.html's static frame is painted first, and the screens load right after it.
// Measured in docs/benchmarks.md (first paint).
// Until then the app shows a native copy of the same frame (src-tauri/src/frame.rs), which this
// entry takes away once the page's own frame is on screen.
// The styles come with this entry, so that they are in place for the frame.
import "../styles.css";
import { invoke } from "@tauri-apps/api/core";

/** Resolves once the frame being drawn now is on screen, or after `limit` ms if no frame comes. */
function afterNextFrame(limit: number): Promise<void> {
  return new Promise((resolve) => {
    // A hidden window draws no frames; the screens must start anyway.
    const fallback = setTimeout(resolve, limit);
    // WebKit starts the next frame once the compositor has shown the one before it.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        clearTimeout(fallback);
        resolve();
      }),
    );
  });
}

// Only a frame really drawn takes the native one away (never the time limit: the window would
// show an empty web view meanwhile); should none come, the app shows the page after a while.
requestAnimationFrame(() =>
  requestAnimationFrame(() => {
    invoke("window_painted").catch(() => undefined);
  }),
);

void afterNextFrame(200)
  .then(() => import("./start"))
  .then(({ start }) => start());
