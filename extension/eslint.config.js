// Lint rules for the extension: TypeScript's recommended set over the sources, and the plain
// recommended set over the build script and the tests (whose browser tests also hand functions
// to the page and the extension).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "test-results"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.ts"],
    languageOptions: { globals: { ...globals.browser, ...globals.webextensions } },
  },
  {
    files: ["test/**/*.{js,mjs,ts}", "*.{js,mjs}"],
    languageOptions: { globals: globals.node },
  },
  {
    // These tests hand functions to the page or the extension to run there.
    files: ["test/browser/**/*.mjs"],
    languageOptions: { globals: { ...globals.node, ...globals.browser, ...globals.webextensions } },
  },
);
