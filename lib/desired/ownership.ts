// Which IPVS services an owner may change, and which destinations it is
// draining, kept across restarts.
//
// IPVS stores no label or comment on a service, so ownership lives beside
// the kernel, in a small JSON file per owner (default /run/nl-lvs/<owner>.json,
// or <owner>@<netns>.json for a namespace):
//  - a service in the desired state is the owner's, file or no file;
//  - a service NOT in the desired state is the owner's only if the file says
//    the owner made or took it over: only then is it removed;
//  - destinations being drained (weight 0, waiting for their connections to
//    end) are listed with the time the drain started, so a restart neither
//    forgets to delete them nor mistakes their weight 0 for the desired one.
// When the file is lost (or unreadable), nothing outside the desired state is
// removed: a service can leak, but nothing that might be someone else's is
// ever deleted. /run is a tmpfs, so a reboot (which also empties IPVS) clears it.
// One process per owner: two agents with the same owner would race on the file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ValidationError } from '../protocol/errors.js';

export const DEFAULT_STATE_DIR = '/run/nl-lvs';

export interface OwnershipRecord {
  version: 1;
  owner: string;
  /** Services this owner made or took over, by ipvsadm key ("198.51.100.1:80/tcp"). */
  services: string[];
  /** Destinations being drained: service key → destination key → drain start (ms since the epoch). */
  draining: Record<string, Record<string, number>>;
  /** Services being removed, their destinations drained first: service key → drain start. */
  removing: Record<string, number>;
}

const OWNER_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkOwner(owner: unknown, field = 'owner'): string {
  if (typeof owner !== 'string' || !OWNER_RE.test(owner)) {
    throw new ValidationError(field, `1 to 64 letters, digits, '.', '_' or '-' (it names the state file), got ${JSON.stringify(owner)}`);
  }
  return owner;
}

/** /run/nl-lvs/<owner>.json, or /run/nl-lvs/<owner>@<netns>.json for a namespace. */
export function defaultStateFile(owner: string, netns?: string): string {
  return join(DEFAULT_STATE_DIR, `${owner}${netns ? `@${basename(netns)}` : ''}.json`);
}

export function emptyRecord(owner: string): OwnershipRecord {
  return { version: 1, owner, services: [], draining: {}, removing: {} };
}

function isNumberMap(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** The record in `text`, or undefined when it is not one of ours. */
export function parseRecord(text: string, owner: string): OwnershipRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<OwnershipRecord>;
  if (r.version !== 1 || r.owner !== owner || !Array.isArray(r.services) || !r.services.every((s) => typeof s === 'string')) return undefined;
  if (!isNumberMap(r.removing) || typeof r.draining !== 'object' || r.draining === null) return undefined;
  if (!Object.values(r.draining).every(isNumberMap)) return undefined;
  return { version: 1, owner, services: [...r.services], draining: r.draining, removing: r.removing };
}

/** The canonical text of a record: sorted, so equal records are equal strings. */
export function recordText(r: OwnershipRecord): string {
  const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const draining = sortKeys(Object.fromEntries(Object.entries(r.draining).filter(([, d]) => Object.keys(d).length > 0).map(([k, d]) => [k, sortKeys(d)])));
  return `${JSON.stringify({ version: 1, owner: r.owner, services: [...new Set(r.services)].sort(), draining, removing: sortKeys(r.removing) }, null, 2)}\n`;
}

// Applies of one state file in this process run one after the other.
const queues = new Map<string, Promise<unknown>>();

/** The state file of one owner: read once per apply, written only when it changes. */
export class OwnershipStore {
  private saved?: string;

  constructor(
    readonly path: string,
    readonly owner: string,
  ) {}

  /** The record, and a warning when the file exists but cannot be trusted (then: nothing is owned). */
  async load(): Promise<{ record: OwnershipRecord; warning?: string }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { record: emptyRecord(this.owner) };
      return { record: emptyRecord(this.owner), warning: `state file ${this.path} unreadable (${(err as Error).message}): only services in the desired state are treated as owned` };
    }
    const record = parseRecord(text, this.owner);
    if (record === undefined) {
      return { record: emptyRecord(this.owner), warning: `state file ${this.path} is not a valid record for owner ${this.owner}: only services in the desired state are treated as owned` };
    }
    this.saved = recordText(record);
    return { record };
  }

  /** Writes the record (to a temporary file, then renamed over: never half-written) unless unchanged. */
  async save(record: OwnershipRecord): Promise<void> {
    const text = recordText(record);
    if (text === this.saved) return;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o755 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, this.path);
    this.saved = text;
  }

  /** Runs `fn` after every earlier exclusive() on the same file in this process has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = queues.get(this.path) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    queues.set(this.path, tail);
    void tail.then(() => {
      if (queues.get(this.path) === tail) queues.delete(this.path);
    });
    return run;
  }
}
