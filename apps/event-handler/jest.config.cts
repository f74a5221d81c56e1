module.exports = {
  displayName: 'event-handler',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/event-handler',
};
