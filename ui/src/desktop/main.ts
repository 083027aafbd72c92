// The desktop app's entry. WebKit paints nothing while a script runs, and the screens' code (React
// and every screen, most of the bundle) takes longer to compile and run than the window takes to
// appear; so desktop.html's static frame is painted first, and the screens load right after it.
// Measured in docs/benchmarks.md (first paint).
// Until then the app shows a native copy of the same frame (src-tauri/src/frame.rs), which this
// entry takes away once the page's own frame is on screen.
// The styles come with this entry, so that they are in place for the frame.
import "../styles.css";
import { invoke } from "@tauri-apps/api/core";

/** Settles once the frame being drawn now is on screen: WebKit starts the next frame once the
 * compositor has shown the one before it. A hidden window draws no frames, so it may never settle. */
const framePainted = new Promise<void>((resolve) =>
  requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
);

// Only a frame really drawn takes the native one away (never the time limit: the window would
// show an empty web view meanwhile); should none come, the app shows the page after a while.
void framePainted.then(() => invoke("window_painted")).catch(() => undefined);

// The screens must start even when no frame comes (a hidden window).
const timeLimit = new Promise<void>((resolve) => setTimeout(resolve, 200));
void Promise.race([framePainted, timeLimit])
  .then(() => import("./start"))
  .then(({ start }) => start());
