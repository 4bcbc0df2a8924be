// Preloaded with `node --import` into a real `hv` process to simulate a broken environment
// (HVLAB_TEST_BREAK): `libunicorn` makes loading libunicorn fail as dlopen does when the library is
// missing; `compiler` makes the native instruction counter look unbuilt, so that `hv` runs the C
// compiler named by CC (the test points CC at a missing path).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import koffi from 'koffi';

const mode = process.env.HVLAB_TEST_BREAK;
if (mode === 'libunicorn') {
  const load = koffi.load;
  koffi.load = (name, ...rest) => {
    if (/unicorn/.test(String(name))) throw new Error(`${name}: cannot open shared object file: No such file or directory`);
    return load.call(koffi, name, ...rest);
  };
} else if (mode === 'compiler') {
  const exists = fs.existsSync;
  fs.existsSync = (path) => (/libhvcounter-/.test(String(path)) ? false : exists(path));
  syncBuiltinESMExports();
}
