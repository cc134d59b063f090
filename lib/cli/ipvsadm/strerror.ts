// The words ipvsadm prints for a kernel error: its own text for the errors
// it knows per operation (libipvs's ipvs_strerror table), glibc's strerror()
// for the rest. Node's error texts come from libuv and differ ("file already
// exists" vs "File exists"), hence glibc's own here.
import { constants } from 'node:os';

const E = constants.errno;

/** What ipvsadm was doing: the libipvs function the errno came from. */
export type IpvsCall =
  | 'init' | 'add_service' | 'update_service' | 'del_service' | 'zero_service' | 'add_dest' | 'update_dest'
  | 'del_dest' | 'start_daemon' | 'stop_daemon' | 'get_services' | 'get_dests' | 'get_service' | 'set_timeout'
  | 'get_timeout' | 'get_daemon' | 'flush';

const PER_CALL: Array<[IpvsCall | undefined, number, string]> = [
  ['add_service', E.EEXIST, 'Service already exists'],
  ['add_service', E.ENOENT, 'Scheduler or persistence engine not found'],
  ['update_service', E.ESRCH, 'No such service'],
  ['update_service', E.ENOENT, 'Scheduler or persistence engine not found'],
  ['del_service', E.ESRCH, 'No such service'],
  ['zero_service', E.ESRCH, 'No such service'],
  ['add_dest', E.ESRCH, 'Service not defined'],
  ['add_dest', E.EEXIST, 'Destination already exists'],
  ['update_dest', E.ESRCH, 'Service not defined'],
  ['update_dest', E.ENOENT, 'No such destination'],
  ['del_dest', E.ESRCH, 'Service not defined'],
  ['del_dest', E.ENOENT, 'No such destination'],
  ['start_daemon', E.EEXIST, 'Daemon has already run'],
  ['stop_daemon', E.ESRCH, 'No daemon is running'],
  ['get_services', E.ESRCH, 'No such service'],
  ['get_dests', E.ESRCH, 'No such service'],
  ['get_service', E.ESRCH, 'No such service'],
  [undefined, E.EPERM, 'Permission denied (you must be root)'],
  [undefined, E.EINVAL, 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
  [undefined, E.ENOPROTOOPT, 'Protocol not available'],
  [undefined, E.ENOMEM, 'Memory allocation problem'],
  [undefined, E.EOPNOTSUPP, 'Operation not supported with IPv6'],
  [undefined, E.EAFNOSUPPORT, 'Operation not supported with specified address family'],
  [undefined, E.EMSGSIZE, 'Module is wrong version'],
];

// glibc's strerror() texts for the errnos an IPVS command can plausibly see.
const GLIBC: Partial<Record<keyof typeof E, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  EPROTO: 'Protocol error',
  EMSGSIZE: 'Message too long',
  ENOPROTOOPT: 'Protocol not available',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ENOBUFS: 'No buffer space available',
  ENOTCONN: 'Transport endpoint is not connected',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
};

const BY_NUMBER = new Map<number, string>();
for (const [name, text] of Object.entries(GLIBC)) BY_NUMBER.set(E[name as keyof typeof E], text!);

/** glibc strerror(). */
export function strerror(errno: number): string {
  const n = Math.abs(errno);
  return BY_NUMBER.get(n) ?? `Unknown error ${n}`;
}

/** libipvs's ipvs_strerror(): what ipvsadm prints when `call` failed with `errno`. */
export function ipvsStrerror(call: IpvsCall, errno: number): string {
  const n = Math.abs(errno);
  for (const [c, e, text] of PER_CALL) if ((c === undefined || c === call) && e === n) return text;
  return strerror(n);
}
