const { join } = require('node:path');
const { appWebpackConfig } = require(join(__dirname, '..', '..', 'tools', 'webpack', 'app-config.cjs'));

module.exports = appWebpackConfig(__dirname);
