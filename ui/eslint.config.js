// Lint rules for the console and the desktop screens: TypeScript's recommended set, React's
// hook rules, and TanStack Query's (a query key names everything its function reads).
import js from "@eslint/js";
import pluginQuery from "@tanstack/eslint-plugin-query";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "dist-desktop", "test-results", "src/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginQuery.configs["flat/recommended"],
  {
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Query keys are made only in src/api/queries.ts, so a page cannot cache under a key
      // some other page invalidates differently.
      "no-restricted-syntax": [
        "error",
        {
          selector: "Property[key.name='queryKey'] > ArrayExpression",
          message: "Query keys belong to src/api/queries.ts: use its query options or keys.",
        },
      ],
    },
  },
  {
    files: ["src/api/queries.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["test/**/*.{js,mjs,ts}", "*.config.{js,ts}"],
    languageOptions: { globals: globals.node },
  },
);
