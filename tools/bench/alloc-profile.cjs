// Preloaded into a measured process (`node --require alloc-profile.cjs`, see lib.cjs profileArgs): runs
// V8's sampling heap profiler over the process's whole life, counting objects the garbage collector
// has already freed too, and writes a .heapprofile into $HELLO_ALLOC_PROF/<script> when the process
// exits (<script>: the app's folder for dist/apps/<app>/main.js, else the script's name).
// That is where memory was allocated (what makes the collector run), where `node --heap-prof` shows
// only what is still held at exit. Read it with profile-summary.cjs or Chrome DevTools' Memory tab.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

/** One sample per this many bytes allocated, on average (V8's default is 32 KiB). */
const SAMPLING_INTERVAL_BYTES = 16 * 1024;

const root = process.env['HELLO_ALLOC_PROF'];
if (root) {
  const script = process.argv[1] ?? 'node';
  const name = path.basename(script) === 'main.js' ? path.basename(path.dirname(script)) : path.parse(script).name;
  const dir = path.join(root, name);
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // An in-process session answers synchronously, so the profile is written before the process ends.
  process.once('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error) {
        process.stderr.write(`alloc-profile: ${error.message}\n`);
        return;
      }
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `Alloc.${process.pid}.heapprofile`);
      fs.writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
