// A reader that nothing but its own waiting loop holds, as in a small agent:
//   for await (const event of Rtnl.open({ netns }).watch()) ...
// GC runs every 10 ms on a timer that does not keep the process alive. The
// loop must keep both the process and the reader alive until its first item.
// Prints "ready", then one line about the item; a process that ends before
// that (exit 13: unsettled top-level await) is the failure the test looks for.
//   vite-node waiting-alone-child.ts <netns> watch|tap
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rtnl, PacketTap } from '../../lib/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setInterval(gc, 10).unref();

const [netns, what] = process.argv.slice(2) as [string, 'watch' | 'tap'];

async function firstItem(): Promise<string> {
  if (what === 'watch') {
    for await (const event of Rtnl.open({ netns }).watch({ topics: ['link'] })) {
      if (event.type === 'link' && event.action === 'new') return `link ${event.value.name}`;
    }
  } else {
    for await (const batch of PacketTap.open({ netns, interface: 'lo', filter: 'icmp' })) return `frames ${batch.length}`;
  }
  return 'ended';
}

const item = firstItem();
// Past a few collections: by now a reader nothing roots would be gone.
setTimeout(() => console.log('ready'), 200);
console.log(await item);
