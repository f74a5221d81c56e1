module.exports = {
  displayName: 'rabbitmq',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/rabbitmq',
};
