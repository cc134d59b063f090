// The JS floor: the least a Node.js library can do for a batch case, to show
// how much of nl-lvs's distance to the C floor is Node's own and how much is
// nl-lvs's. It reads the same op objects nl-lvs is given (workload.mjs: the
// strings parsed, the fields read), writes each message by hand into one
// reused buffer (the same bytes the C floor sends), sends up to 256 per
// sendmsg on nl-lvs's native socket (the same C++ transport), reads the acks
// right after each send and only counts them. It asks for acks as nl-lvs's
// batches do, one per sendmsg (the C floor's one-ack mode). No validation, no result per
// operation, no error text, no sequence-number matching: what a library
// gives its users is left out, and what remains is JS reading its input, the
// garbage that input leaves, and the crossings into C++.
//
//   node js-floor.mjs fdb-add     --netns NS --n N           FDB entries on vx0 (self, permanent)
//   node js-floor.mjs fdb-del     --netns NS --n N           delete them
//   node js-floor.mjs ipvs-create --netns NS --n N --d D     N TCP services × D masq destinations
//
// Warmed as nl-lvs is (see nl-lvs-rtnl.mjs and nl-lvs-ipvs.mjs): the FDB cases
// after 10k adds and deletes, twice, on a scratch veth, then deletes of absent
// entries on the timed device; the IPVS create after
// a 2000 × D batch in a scratch namespace of its own.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { parseArgs, loadLibrary, timed, report } from './common.mjs';
import { fdbOps, fdbAbsentDeletes, ipvsBulkOps, ipvsWarmupOps, IPVS_WARMUP_BATCHES, FDB_DEV } from '../harness/workload.mjs';

const opts = parseArgs(process.argv.slice(2));
// The harness names the namespace; the native socket enters it by path.
const nsName = basename(opts.netns);
const nsPath = `/run/netns/${nsName}`;
const { native } = await loadLibrary('dist/transport/native.js');
const nl = await loadLibrary('dist/uapi/netlink.js');
const rt = await loadLibrary('dist/uapi/rtnetlink.js');
const nd = await loadLibrary('dist/uapi/neighbour.js');
const genl = await loadLibrary('dist/uapi/genetlink.js');
const vs = await loadLibrary('dist/uapi/ip_vs.js');
const { AF_INET, AF_BRIDGE, IPPROTO_TCP, IPPROTO_UDP } = await loadLibrary('dist/uapi/linux.js');

const NETLINK_ROUTE = 0;
const NETLINK_GENERIC = 16;
const PER_SEND = 256; // as the C floor and nl-lvs
const ACKED = nl.NLM_F_REQUEST | nl.NLM_F_ACK;

/** One socket; sends batches of hand-written messages and counts their acks. */
class Channel {
  constructor(protocol, netnsPath) {
    this.buf = Buffer.alloc(64 << 10);
    this.pos = 0;
    this.seq = 1;
    this.acks = 0;
    this.errors = 0;
    this.firstErrno = 0;
    this.lastSeq = -1;
    this.lastAnswered = false;
    this.replies = [];
    this.wake = undefined;
    this.socket = new native.NativeSocket(protocol, netnsPath, 8 << 20, (frames, errno) => this.take(frames, errno));
    // Plain acks land here, as nl-lvs's transport reads them: no Buffer per read.
    this.landing = Buffer.allocUnsafe(64 << 10);
    this.socket.setLanding(this.landing);
  }

  take(got, errno) {
    if (errno !== 0) throw new Error(`socket error ${errno}`);
    if (got === null) return;
    const frames = typeof got === 'number' ? this.landing : got;
    const length = typeof got === 'number' ? got : got.length;
    for (let pos = 0; pos + 8 <= length; ) {
      const end = pos + 8 + frames.readUInt32LE(pos);
      for (let at = pos + 8; at + 16 <= end; at += (frames.readUInt32LE(at) + 3) & ~3) {
        if (frames.readUInt16LE(at + 4) !== nl.NLMSG_ERROR) {
          this.replies.push(Buffer.from(frames.subarray(at, at + frames.readUInt32LE(at))));
          continue;
        }
        this.acks++;
        if (frames.readUInt32LE(at + 8) === this.lastSeq) this.lastAnswered = true;
        const errno = frames.readInt32LE(at + 16);
        if (errno !== 0 && this.errors++ === 0) this.firstErrno = errno;
      }
      pos = end;
    }
    if (this.wake) this.wake();
  }

  receiveNow() {
    const got = this.socket.receive();
    if (Array.isArray(got)) this.take(got[0], got[1]);
    else this.take(got, 0);
  }

  // Message writing: a header, then attributes; end() fixes the length.
  begin(type, flags) {
    this.start = this.pos;
    const b = this.buf;
    b.writeUInt32LE(0, this.pos);
    b.writeUInt16LE(type, this.pos + 4);
    b.writeUInt16LE(flags, this.pos + 6);
    b.writeUInt32LE(this.seq++, this.pos + 8);
    b.writeUInt32LE(0, this.pos + 12);
    this.pos += 16;
  }
  end() {
    this.buf.writeUInt32LE(this.pos - this.start, this.start);
  }
  attr(type, length) {
    this.buf.writeUInt16LE(4 + length, this.pos);
    this.buf.writeUInt16LE(type, this.pos + 2);
    const at = this.pos + 4;
    this.buf.fill(0, at, at + ((length + 3) & ~3));
    this.pos = at + ((length + 3) & ~3);
    return at;
  }
  u16(type, v) {
    this.buf.writeUInt16LE(v, this.attr(type, 2));
  }
  be16(type, v) {
    this.buf.writeUInt16BE(v, this.attr(type, 2));
  }
  u32(type, v) {
    this.buf.writeUInt32LE(v, this.attr(type, 4));
  }
  nest(type) {
    return this.attr(type, 0) - 4;
  }
  nestEnd(at) {
    this.buf.writeUInt16LE(this.pos - at, at);
  }

  /**
   * Writes `count` messages with write(i), sends them PER_SEND at a time, and
   * waits for every answer. With ackPerSend only each send's last message
   * asks for an ack, as nl-lvs's rtnl.batch does: a failing one is answered
   * all the same, before it, so the answer to the very last message comes last.
   */
  async run(count, write, { ackPerSend = false } = {}) {
    this.acks = 0;
    this.errors = 0;
    this.lastAnswered = false;
    for (let i = 0; i < count; ) {
      this.pos = 0;
      const first = i;
      let last = 0;
      while (i < count && i - first < PER_SEND) {
        last = this.pos;
        write(i++);
        if (ackPerSend) this.buf[last + 6] &= ~nl.NLM_F_ACK;
      }
      if (ackPerSend) this.buf[last + 6] |= nl.NLM_F_ACK;
      if (i === count) this.lastSeq = this.buf.readUInt32LE(last + 8);
      const rc = this.socket.send(this.buf.subarray(0, this.pos));
      if (rc < 0) throw new Error(`sendmsg: errno ${-rc}`);
      this.receiveNow();
    }
    const done = () => (ackPerSend ? this.lastAnswered : this.acks >= count);
    if (!done()) {
      this.socket.ref();
      while (!done()) await new Promise((resolve) => (this.wake = resolve));
      this.wake = undefined;
      this.socket.unref();
    }
    return { items: count, errors: this.errors, first_error: this.errors ? `errno ${-this.firstErrno}` : undefined };
  }

  close() {
    this.socket.close();
  }
}

// Parsing what the op objects hold, with no checks beyond what parsing needs.
const hex = (c) => (c <= 57 ? c - 48 : (c | 32) - 87);
function putMac(b, at, mac) {
  for (let i = 0; i < 6; i++) b[at + i] = hex(mac.charCodeAt(3 * i)) * 16 + hex(mac.charCodeAt(3 * i + 1));
}
function putIpv4(b, at, text) {
  let part = 0;
  let k = at;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      b[k++] = part;
      part = 0;
    } else part = part * 10 + c - 48;
  }
  b[k] = part;
}

function fdbWriter(ch, type, flags, ifindex, ops) {
  return (i) => {
    const op = ops[i];
    ch.begin(type, ACKED | flags);
    const b = ch.buf;
    const at = ch.pos;
    b.fill(0, at, at + rt.NDMSG_LEN);
    b[at] = AF_BRIDGE;
    b.writeInt32LE(ifindex, at + 4);
    b.writeUInt16LE(nd.NUD_PERMANENT, at + 8);
    b[at + 10] = op.self ? nd.NTF_SELF : 0;
    ch.pos += rt.NDMSG_LEN;
    putMac(b, ch.attr(nd.NDA_LLADDR, 6), op.mac);
    putIpv4(b, ch.attr(nd.NDA_DST, 4), op.dst);
    ch.end();
  };
}

function ipvsWriter(ch, family, ops) {
  const genlHeader = (cmd) => {
    ch.begin(family, ACKED);
    ch.buf[ch.pos] = cmd;
    ch.buf[ch.pos + 1] = vs.IPVS_GENL_VERSION;
    ch.buf.writeUInt16LE(0, ch.pos + 2);
    ch.pos += genl.GENL_HDRLEN;
  };
  const serviceKey = (s) => {
    ch.u16(vs.IPVS_SVC_ATTR_AF, AF_INET);
    ch.u16(vs.IPVS_SVC_ATTR_PROTOCOL, s.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP);
    putIpv4(ch.buf, ch.attr(vs.IPVS_SVC_ATTR_ADDR, 16), s.address);
    ch.be16(vs.IPVS_SVC_ATTR_PORT, s.port);
  };
  return (i) => {
    const op = ops[i];
    if (op.op === 'addService') {
      const s = op.service;
      genlHeader(vs.IPVS_CMD_NEW_SERVICE);
      const nest = ch.nest(vs.IPVS_CMD_ATTR_SERVICE);
      serviceKey(s);
      const sched = ch.attr(vs.IPVS_SVC_ATTR_SCHED_NAME, s.scheduler.length + 1);
      ch.buf.latin1Write(s.scheduler, sched);
      const flags = ch.attr(vs.IPVS_SVC_ATTR_FLAGS, 8);
      ch.buf.writeUInt32LE(0xffffffff, flags + 4);
      ch.u32(vs.IPVS_SVC_ATTR_TIMEOUT, 0);
      ch.u32(vs.IPVS_SVC_ATTR_NETMASK, 0xffffffff);
      ch.nestEnd(nest);
    } else {
      const d = op.destination;
      genlHeader(vs.IPVS_CMD_NEW_DEST);
      const svc = ch.nest(vs.IPVS_CMD_ATTR_SERVICE);
      serviceKey(op.service);
      ch.nestEnd(svc);
      const dest = ch.nest(vs.IPVS_CMD_ATTR_DEST);
      putIpv4(ch.buf, ch.attr(vs.IPVS_DEST_ATTR_ADDR, 16), d.address);
      ch.be16(vs.IPVS_DEST_ATTR_PORT, d.port);
      ch.u32(vs.IPVS_DEST_ATTR_FWD_METHOD, vs.IP_VS_CONN_F_MASQ);
      ch.u32(vs.IPVS_DEST_ATTR_WEIGHT, d.weight);
      ch.u32(vs.IPVS_DEST_ATTR_U_THRESH, 0);
      ch.u32(vs.IPVS_DEST_ATTR_L_THRESH, 0);
      ch.u16(vs.IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
      ch.nestEnd(dest);
    }
    ch.end();
  };
}

/** The IPVS generic netlink family id, asked of the controller. */
async function ipvsFamily(ch) {
  ch.replies = [];
  await ch.run(1, () => {
    ch.begin(genl.GENL_ID_CTRL, ACKED);
    ch.buf[ch.pos] = genl.CTRL_CMD_GETFAMILY;
    ch.buf[ch.pos + 1] = 1;
    ch.buf.writeUInt16LE(0, ch.pos + 2);
    ch.pos += genl.GENL_HDRLEN;
    ch.buf.latin1Write(`${vs.IPVS_GENL_NAME}\0`, ch.attr(genl.CTRL_ATTR_FAMILY_NAME, vs.IPVS_GENL_NAME.length + 1));
    ch.end();
  });
  if (ch.errors) throw new Error(`no IPVS family: errno ${-ch.firstErrno}`);
  const reply = ch.replies[0];
  for (let at = 20; at + 4 <= reply.length; at += (reply.readUInt16LE(at) + 3) & ~3) {
    if (reply.readUInt16LE(at + 2) === genl.CTRL_ATTR_FAMILY_ID) return reply.readUInt16LE(at + 4);
  }
  throw new Error('no family id in the controller reply');
}

const ifindexOf = (ns, dev) => JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' }))[0].ifindex;

async function fdbCase(add) {
  const type = add ? rt.RTM_NEWNEIGH : rt.RTM_DELNEIGH;
  const flags = add ? nl.NLM_F_CREATE | nl.NLM_F_EXCL : 0;
  const ns = nsName;
  const ch = new Channel(NETLINK_ROUTE, nsPath);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'vwarm', 'type', 'veth', 'peer', 'name', 'vwarmp']);
  const warm = ifindexOf(ns, 'vwarm');
  for (let round = 0; round < 2; round++) {
    await ch.run(10_000, fdbWriter(ch, rt.RTM_NEWNEIGH, nl.NLM_F_CREATE | nl.NLM_F_EXCL, warm, fdbOps('fdb.add', 10_000, 'vwarm')), { ackPerSend: true });
    await ch.run(10_000, fdbWriter(ch, rt.RTM_DELNEIGH, 0, warm, fdbOps('fdb.delete', 10_000, 'vwarm')), { ackPerSend: true });
  }
  execFileSync('ip', ['-n', ns, 'link', 'del', 'vwarm']);
  // Resolved before the timed call: the C floor's if_nametoindex is one ioctl.
  const ifindex = ifindexOf(ns, FDB_DEV);
  for (let round = 0; round < 5; round++) {
    const absent = fdbAbsentDeletes(2048);
    await ch.run(absent.length, fdbWriter(ch, rt.RTM_DELNEIGH, 0, ifindex, absent), { ackPerSend: true });
  }
  const ops = fdbOps(add ? 'fdb.add' : 'fdb.delete', opts.n);
  const r = await timed(() => ch.run(ops.length, fdbWriter(ch, type, flags, ifindex, ops), { ackPerSend: true }));
  ch.close();
  return { op_ms: r.op_ms, ...r.value, minflt: r.minflt, user_ms: r.user_ms, sys_ms: r.sys_ms, via: 'raw NativeSocket, hand-written messages' };
}

async function ipvsCreate() {
  const scratch = `jsw-${process.pid}`;
  execFileSync('ip', ['netns', 'add', scratch]);
  try {
    execFileSync('ip', ['-n', scratch, 'link', 'set', 'lo', 'up']);
    // Rounds as nl-lvs's (see IPVS_WARMUP_BATCHES): a channel each, its family resolved, one batch.
    for (let b = 0; b < IPVS_WARMUP_BATCHES; b++) {
      const warm = new Channel(NETLINK_GENERIC, `/run/netns/${scratch}`);
      const warmFamily = await ipvsFamily(warm);
      const warmOps = ipvsWarmupOps(b, opts.n, opts.d);
      await warm.run(warmOps.length, ipvsWriter(warm, warmFamily, warmOps), { ackPerSend: true });
      warm.close();
    }
    const ch = new Channel(NETLINK_GENERIC, nsPath);
    const family = await ipvsFamily(ch);
    const ops = ipvsBulkOps(opts.n, opts.d);
    const r = await timed(() => ch.run(ops.length, ipvsWriter(ch, family, ops), { ackPerSend: true }));
    ch.close();
    return { op_ms: r.op_ms, ...r.value, minflt: r.minflt, user_ms: r.user_ms, sys_ms: r.sys_ms, via: 'raw NativeSocket, hand-written messages' };
  } finally {
    execFileSync('ip', ['netns', 'del', scratch]);
  }
}

switch (opts.mode) {
  case 'fdb-add':
    report(await fdbCase(true));
    break;
  case 'fdb-del':
    report(await fdbCase(false));
    break;
  case 'ipvs-create':
    report(await ipvsCreate());
    break;
  default:
    throw new Error(`unknown mode ${opts.mode}`);
}
