import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    // Build output, local data (e.g. the benchmark's compiled peers in .local/), and the gRPC types
    // tools/proto/generate-types.cjs generates from proto/ into libs/contracts.
    ignores: ['**/dist', '**/out-tsc', 'tmp', 'coverage', '.local', '**/src/lib/grpc/generated'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          // Apps never import each other; they share code only through libs.
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // The test library starts brokers and databases with the local infrastructure and runs
            // TypeScript sources with the build's require hook.
            { sourceTag: 'type:test-util', onlyDependOnLibsWithTags: ['type:lib', 'type:infra', 'type:build'] },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:lib', 'type:test-util', 'type:infra', 'type:build'],
            },
            // The operator CLI: the libraries only, never test code.
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            // The workspace's packages of tools/ stand alone.
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:build', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // Tests may also use the shared test utilities.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:test-util'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:test-util'] },
            { sourceTag: 'type:test-util', onlyDependOnLibsWithTags: ['type:lib', 'type:infra', 'type:build'] },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:lib', 'type:test-util', 'type:infra', 'type:build'],
            },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:test-util'] },
          ],
        },
      ],
    },
  },
  {
    // A project's webpack configuration is how it is built: it loads the shared one of @hello/build.
    files: ['**/webpack.config.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:build'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:build'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    // Override or add rules here
    rules: {},
  },
];
