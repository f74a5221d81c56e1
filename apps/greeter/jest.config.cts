module.exports = {
  displayName: 'greeter',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/greeter',
};
