// The webpack configuration of every app (apps/<app>/webpack.config.js): Nx's app plugin bundles
// src/main.ts for Node into dist/apps/<app>, with the .proto files beside it and a generated
// package.json of the bundle's production dependencies (what the Dockerfile installs).
'use strict';
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('node:path');

/** @param {string} appDir the app's folder (`__dirname` of its webpack.config.js) */
function appWebpackConfig(appDir) {
  return {
    output: {
      path: join(appDir, '..', '..', 'dist', 'apps', basename(appDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: ['./src/assets', { glob: '**/*.proto', input: '../../proto', output: 'proto' }],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
}

module.exports = { appWebpackConfig };
