// Lint rules: typescript-eslint's recommended set, with `any` forbidden so module
// boundaries stay typed; tests may use non-null assertions freely.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'build/**', 'dist/**', 'src/vision/models/build/**', 'models/**', 'docs/**', 'native/**/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/ui/public/**/*.js', 'src/sim/public/**/*.js'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', WebSocket: 'readonly', location: 'readonly', fetch: 'readonly', URL: 'readonly', Intl: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', performance: 'readonly' },
    },
  },
  {
    files: ['bin/**/*.js', 'tools/**/*.js', 'native/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
