module.exports = {
  displayName: 'producer',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/producer',
};
