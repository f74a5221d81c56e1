module.exports = {
  displayName: 'consumer',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/consumer',
};
