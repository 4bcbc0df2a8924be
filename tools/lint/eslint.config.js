// ESLint for hvlab (flat config): typescript-eslint's recommended rules, plus the project's own
// limits on function complexity, file length and unused code. `npm run lint` runs it with knip.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'build/**', 'dist/**', 'out/**', 'firmware/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    rules: {
      // ESLint's default: register decoders and parsers switch over up to ~20 cases; larger dispatchers use tables.
      complexity: ['error', 20],
      'max-depth': ['error', 4],
      'max-params': ['error', 7],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-throw-literal': 'error',
      // Console and trace-text filters match control characters on purpose.
      'no-control-regex': 'off',
      'prefer-const': 'error',
    },
  },
  {
    files: ['hv/**/*.ts', 'devices/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      complexity: 'off',
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
