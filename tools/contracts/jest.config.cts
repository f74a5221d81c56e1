module.exports = {
  displayName: 'contract-docs',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/tools/contracts',
};
