import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'proto/gen/', 'ui/dist/', 'test-output/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  // The architecture, enforced: the statechart is pure; the services meet only on the bus; the
  // UI and the CLI reach the orchestrator only through the HTTP contract. `lib/` is the shared
  // shell and may use the vocabulary of `machines/` (subjects and commands are built from it).
  ...boundaries([
    ['machines/**', ['node:*', '@nats-io/*', 'fastify', 'better-sqlite3', 'pino', ...up('lib'), ...up('orchestrator'), ...up('workers'), ...up('cli'), ...up('api'), ...up('ui')], 'machines/ is pure: no I/O, no service code'],
    ['lib/**', [...up('orchestrator'), ...up('workers'), ...up('cli'), ...up('api'), ...up('ui')], 'lib/ is shared by every service and knows none of them'],
    ['workers/**', [...up('orchestrator'), ...up('cli'), ...up('api'), ...up('ui')], 'workers meet the orchestrator only on the bus'],
    ['orchestrator/**', [...up('workers'), ...up('cli'), ...up('ui')], 'the orchestrator meets the workers only on the bus'],
    ['cli/**', [...up('orchestrator'), ...up('workers'), ...up('lib'), ...up('ui'), '@nats-io/*'], 'the CLI is an HTTP client of the API'],
    ['ui/**', ['node:*', ...up('orchestrator'), ...up('workers'), ...up('lib'), ...up('cli'), '@nats-io/*', 'fastify'], 'the UI reads the API and draws the machine, nothing else'],
  ]),
  {
    // The contract the UI and CLI import: types only, so no server code reaches their bundles.
    files: ['api/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: [...up('orchestrator')], allowTypeImports: true, message: 'api/ re-exports server types with `export type` only' }] }] },
  },
  {
    files: ['scripts/**', 'bench/**', 'test/**'],
    // Tests read API JSON as a user would, without restating every response type.
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['ui/**/*.{ts,tsx}'],
    rules: {
      // Order data is shown as text, always: no HTML injection from what customers typed.
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render order data as text.' },
        { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML)$/]", message: 'Render order data as text.' },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Render order data as text.' },
      ],
      'no-console': 'error',
    },
  },
);

/** A project folder as relative imports name it from any depth (a package's own `lib/` is not ours). */
function up(folder) {
  return ['./', '../', '../../', '../../../', '../../../../'].map((prefix) => `${prefix}${folder}/**`);
}

/** One lint block per layer: the imports it must not make, and why. */
function boundaries(layers) {
  return layers.map(([glob, forbidden, why]) => ({
    files: [glob],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: forbidden, message: why }] }] },
  }));
}
