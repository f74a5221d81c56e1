const { appWebpackConfig } = require('@hello/build/webpack');

module.exports = appWebpackConfig(__dirname, { proto: false });
