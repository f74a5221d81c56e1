#!/usr/bin/env node
/**
 * Prometheus' `promtool`, from the OS package (Debian's `prometheus`), for checking that what the apps
 * serve at /metrics is valid exposition text that follows the naming conventions.
 *
 *   node tools/infra/promtool.cjs install     install the package when promtool is missing
 *   node tools/infra/promtool.cjs check URL   fetch URL and run `promtool check metrics` on it
 *
 * The same package brings the Prometheus server, which the observability test runs against the apps.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { installDebianPackage } = require('./host.cjs');

const CANDIDATES = ['/usr/bin/promtool', '/usr/local/bin/promtool'];

function findPromtool() {
  return CANDIDATES.find((file) => fs.existsSync(file));
}

/** The path of promtool, installing Debian's `prometheus` package first when it is missing. */
function ensurePromtool() {
  const found = findPromtool();
  if (found) return found;
  // The package's post-install tries to start a service; without systemd that fails harmlessly.
  installDebianPackage('prometheus', {
    log: (message) => process.stderr.write(`[promtool] ${message}\n`),
    cannotInstall:
      'promtool is not installed and cannot be installed from here: install the OS package prometheus ' +
      '(e.g. `sudo apt-get install -y prometheus`)',
  });
  const installed = findPromtool();
  if (!installed) throw new Error('apt-get finished but promtool is still missing');
  return installed;
}

/** The path of the Prometheus server binary (same package as promtool), installing it when missing. */
function ensurePrometheus() {
  ensurePromtool();
  const found = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((file) => fs.existsSync(file));
  if (!found) throw new Error('the prometheus package is installed but /usr/bin/prometheus is missing');
  return found;
}

/**
 * Runs `promtool check metrics` on `text`; resolves with its exit status and what it printed.
 * @param {string} text
 */
function checkMetrics(text) {
  const result = spawnSync(ensurePromtool(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

module.exports = { ensurePromtool, ensurePrometheus, checkMetrics };

if (require.main === module) {
  const [command, url] = process.argv.slice(2);
  if (command === 'install') {
    process.stdout.write(`${ensurePromtool()}\n`);
  } else if (command === 'check' && url) {
    fetch(url)
      .then((response) => response.text())
      .then((text) => {
        const { status, output } = checkMetrics(text);
        if (output) process.stdout.write(`${output}\n`);
        process.exit(status ?? 1);
      });
  } else {
    process.stderr.write('usage: promtool.cjs install | check URL\n');
    process.exit(2);
  }
}
