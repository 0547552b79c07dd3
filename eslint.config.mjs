// @ts-check
// The Nest starter's flat config (typescript-eslint recommendedTypeChecked + prettier as an eslint rule, with the
// starter's relaxations), adapted to this repository: ESM, specs and test/ typed through tsconfig.spec.json.
import eslint from '@eslint/js';
import eslintPluginPrettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { defineConfig, globalIgnores } from 'eslint/config';

export default defineConfig(
  globalIgnores(['eslint.config.mjs', 'dist/', 'coverage/', 'bench/.build/', 'bench/results/']),
  {
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: {
        ...globals.node,
        ...globals.jest,
      },
      // The package is "type": "module" (Nest 12 is ESM only); the starter's 'commonjs' would not parse our imports.
      sourceType: 'module',
      parserOptions: {
        // One TypeScript program for every linted file (src/, its specs, test/ and bench/, as `npm run typecheck`
        // sees them). The starter's projectService put specs and test/ in a default project file by file, which took
        // 57-67 s here; one program takes about 27 s. (An earlier TypeScript 6 crash of `eslint --fix` with a
        // project, "reading 'includes'" in no-floating-promises, no longer happens: --fix on fixable files passes.)
        project: ['./tsconfig.spec.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-floating-promises': 'warn',
      '@typescript-eslint/no-unsafe-argument': 'warn',
      // A leading underscore marks a parameter a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      'prettier/prettier': ['error', { endOfLine: 'auto' }],
    },
  },
  {
    // The service logs through Nest's Logger (one per class); tests that print a report on purpose say so with
    // `// eslint-disable-next-line no-console`. bench/ is a command-line tool whose output is the point.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-console': 'warn',
    },
  },
  {
    // Specs read HTTP bodies, scraped metrics and broker replies, which are `any` by nature (supertest's `body`,
    // JSON.parse), and hand methods to `expect(...)`: the type-safety rules below would only add casts there.
    files: ['src/**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Fakes implement async interfaces (amqplib channels, mailers) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // Specs narrow parsed manifests and app providers with `as` where a generic would only repeat the type.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Tests and benchmarks report whatever a failed step threw (`String(lastError)` of an unknown).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // bench/ scenarios read as a list of named steps (issue 13): a function that outgrows a screen is split.
    files: ['bench/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // Plain JavaScript files (jest.config.js, test fixtures) are in no TypeScript project: lint them untyped.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  eslintPluginPrettierRecommended,
);
