// Overlay: a host's VXLAN overlay kept equal to a desired state, the way
// flannel's vxlan backend keeps it: the vxlan device (optionally a bridge
// port), head-end replication to every peer, the peers' MACs and ARP entries.
//
//   await Overlay.apply(rtnl, {
//     vxlan: { name: 'vxlan0', id: 42, local: '198.51.100.1', dstPort: 4789, learning: false },
//     bridge: { name: 'br0' },
//     addresses: ['192.0.2.1/24'],
//     peers: [{ underlay: '198.51.100.2', overlayIp: '192.0.2.2', mac: '02:00:00:00:00:02' }],
//   });
//
// A second apply() with the same state sends nothing; a changed peer set
// touches only the entries of the peers that changed.
import type { Rtnl } from './rtnl.js';
import { applyOverlay, type OverlayApplyOptions, type OverlayApplyReport } from '../desired/overlay-apply.js';
import type { OverlayDesired } from '../desired/overlay-desired.js';

export type { OverlayApplyOptions, OverlayApplyReport } from '../desired/overlay-apply.js';
export type { OverlayDesired, OverlayPeer, OverlayVxlan, OverlayBridge } from '../desired/overlay-desired.js';

export const Overlay = Object.freeze({
  /**
   * Makes the overlay equal to `desired` with the fewest operations (entries
   * in one rtnl.batch); bad input throws a ValidationError before anything is read.
   */
  apply(rtnl: Rtnl, desired: OverlayDesired, options: OverlayApplyOptions = {}): Promise<OverlayApplyReport> {
    return applyOverlay(rtnl, desired, options);
  },
});
