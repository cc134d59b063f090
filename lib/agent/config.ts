// The agent's configuration file: its own settings and the desired state,
// in JSON. Checked in full on every load: a bad file is refused with the
// field named (ValidationError), and the agent keeps the last good one.
//
//   {
//     "owner": "web",                      // whose IPVS services these are (state file name)
//     "netns": "lb",                       // optional: work inside this network namespace
//     "stateFile": "/run/nl-lvs/web.json", // optional (default from owner and netns)
//     "interval": 500,                     // ms between IPVS drift checks (IPVS has no events)
//     "drainTimeout": 300,                 // s a removed destination drains before deletion
//     "metrics": "127.0.0.1:9464",         // optional: serve the exporter's metrics here
//     "ipvs": { "services": [ ... ] },     // ipvs.apply()'s desired state
//     "overlay": { "vxlan": {...}, "peers": [...] }   // Overlay.apply()'s desired state
//   }
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../protocol/errors.js';
import { normalizeIpvs, type IpvsDesiredState } from '../desired/ipvs-desired.js';
import { normalizeOverlay, type OverlayDesired } from '../desired/overlay-desired.js';
import { checkOwner } from '../desired/ownership.js';
import { parseListen } from '../hotpath/exporter.js';
import { isPlainObject, underField } from '../desired/fields.js';

export interface AgentConfig {
  owner: string;
  netns?: string;
  stateFile?: string;
  /** Milliseconds between IPVS drift checks. */
  interval: number;
  /** Seconds. */
  drainTimeout: number;
  /** "host:port" for the metrics endpoint. */
  metrics?: string;
  allowUnknownScheduler?: boolean;
  ipvs?: IpvsDesiredState;
  overlay?: OverlayDesired;
}

/** Settings read once at start: changing them takes a restart. */
export const FIXED_SETTINGS = ['owner', 'netns', 'stateFile', 'metrics'] as const;

export const DEFAULT_INTERVAL = 500;
const KNOWN = new Set(['owner', 'netns', 'stateFile', 'interval', 'drainTimeout', 'metrics', 'allowUnknownScheduler', 'ipvs', 'overlay']);

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ValidationError(field, `a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** "127.0.0.1:9464" or "[::1]:9464", or a ValidationError naming `field`. */
export function checkListen(text: string, field: string): void {
  try {
    parseListen(text);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(field, err.message.replace(/^listen: /, ''));
    throw err;
  }
}

/** Parses and checks a configuration; throws a ValidationError naming the first bad field. */
export function parseAgentConfig(text: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError('config', `not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(raw)) throw new ValidationError('config', 'a JSON object');
  for (const key of Object.keys(raw)) if (!KNOWN.has(key)) throw new ValidationError(key, `unknown setting (known: ${[...KNOWN].join(', ')})`);
  const interval = raw.interval ?? DEFAULT_INTERVAL;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 50 || interval > 3_600_000) {
    throw new ValidationError('interval', `milliseconds from 50 to 3600000, got ${JSON.stringify(interval)}`);
  }
  const drainTimeout = raw.drainTimeout ?? 300;
  if (typeof drainTimeout !== 'number' || !Number.isFinite(drainTimeout) || drainTimeout < 0 || drainTimeout > 7 * 24 * 3600) {
    throw new ValidationError('drainTimeout', `seconds from 0 to 604800, got ${JSON.stringify(drainTimeout)}`);
  }
  if (raw.allowUnknownScheduler !== undefined && typeof raw.allowUnknownScheduler !== 'boolean') {
    throw new ValidationError('allowUnknownScheduler', 'true or false');
  }
  const config: AgentConfig = {
    owner: checkOwner(raw.owner ?? 'default'),
    netns: optionalString(raw.netns, 'netns'),
    stateFile: optionalString(raw.stateFile, 'stateFile'),
    interval,
    drainTimeout,
    metrics: optionalString(raw.metrics, 'metrics'),
    allowUnknownScheduler: raw.allowUnknownScheduler as boolean | undefined,
  };
  if (config.metrics !== undefined) checkListen(config.metrics, 'metrics');
  if (raw.ipvs === undefined && raw.overlay === undefined) throw new ValidationError('config', 'nothing to manage: give "ipvs", "overlay" or both');
  if (raw.ipvs !== undefined) {
    normalizeIpvs(raw.ipvs as IpvsDesiredState, { allowUnknownScheduler: config.allowUnknownScheduler }, 'ipvs');
    config.ipvs = raw.ipvs as IpvsDesiredState;
  }
  if (raw.overlay !== undefined) {
    underField('overlay', () => normalizeOverlay(raw.overlay as OverlayDesired));
    config.overlay = raw.overlay as OverlayDesired;
  }
  return config;
}

export async function loadAgentConfig(path: string): Promise<{ config: AgentConfig; text: string }> {
  const text = await readFile(path, 'utf8');
  return { config: parseAgentConfig(text), text };
}
