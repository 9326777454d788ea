// Loaded into ccasp with `node --import <this file> bin/ccasp …` by the chaos suites, to inject
// file-system faults where the machine cannot produce them for real (no tmpfs, no read-only mount),
// and to widen race windows. Configured by environment variables; without them it changes nothing.
//
//   CHAOS_FS_FAIL_PATTERN  a regular expression; fs.promises.open() of a matching path for writing
//                          fails with CHAOS_FS_FAIL_CODE (default ENOSPC) …
//   CHAOS_FS_FAIL_AFTER    … after this many matching opens have succeeded (default 0);
//   CHAOS_FS_FAIL_ON       "open" (default) fails the open itself, as a read-only folder does;
//                          "write" lets the open succeed and fails the first write, as a full disk does.
//   CHAOS_FS_DELAY_LINK_MS fs.promises.link() (how ccasp creates its lock) waits this long first.
//
// fs/promises functions are patched on the module object and pushed to its ES module exports with
// syncBuiltinESMExports(), so `import { open } from 'node:fs/promises'` in the bundle sees them.
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const pattern = process.env.CHAOS_FS_FAIL_PATTERN ? new RegExp(process.env.CHAOS_FS_FAIL_PATTERN) : undefined;
const code = process.env.CHAOS_FS_FAIL_CODE ?? 'ENOSPC';
const failOn = process.env.CHAOS_FS_FAIL_ON ?? 'open';
let allowed = Number(process.env.CHAOS_FS_FAIL_AFTER ?? 0);
const linkDelay = Number(process.env.CHAOS_FS_DELAY_LINK_MS ?? 0);

const MESSAGES = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EIO: 'i/o error',
  EDQUOT: 'disk quota exceeded',
};

function fault(syscall, file) {
  const message = `${code}: ${MESSAGES[code] ?? 'injected fault'}, ${syscall}${syscall === 'open' ? ` '${file}'` : ''}`;
  const error = new Error(message);
  error.code = code;
  error.syscall = syscall;
  if (syscall === 'open') error.path = String(file);
  return error;
}

const writing = (flags) => typeof flags === 'string' && /[wax+]/.test(flags);

if (pattern) {
  const open = fsp.open;
  fsp.open = async function (file, flags, mode) {
    if (writing(flags) && pattern.test(String(file))) {
      if (allowed > 0) {
        allowed--;
      } else if (failOn === 'open') {
        throw fault('open', file);
      } else {
        const handle = await open.call(this, file, flags, mode);
        const fail = async () => {
          throw fault('write', file);
        };
        handle.writeFile = fail;
        handle.write = fail;
        return handle;
      }
    }
    return open.call(this, file, flags, mode);
  };
}

if (linkDelay > 0) {
  const link = fsp.link;
  fsp.link = async function (existing, target) {
    await new Promise((resolve) => setTimeout(resolve, linkDelay));
    return link.call(this, existing, target);
  };
}

syncBuiltinESMExports();
