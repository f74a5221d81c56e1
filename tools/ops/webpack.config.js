const { join } = require('node:path');
const { appWebpackConfig } = require(join(__dirname, '..', 'webpack', 'app-config.cjs'));

module.exports = appWebpackConfig(__dirname, { proto: false });
