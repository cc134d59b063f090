// -R: apply commands read from standard input (what -S prints). Each line is
// split into words as ipvsadm splits it (blanks, tabs and carriage returns;
// a word "ipvsadm" is dropped) and parsed as a command line. Unlike ipvsadm,
// which runs line by line and stops half-way at a bad line, every line is
// checked first and nothing is applied if one is wrong; then the changes go
// to the kernel in large batches (ipvs.batch), with a progress bar when
// standard error is a terminal. A change the kernel refuses is reported with
// its line number; the others still apply.
import type { Ipvs } from '../../api/ipvs.js';
import type { IpvsOp, IpvsOpResult } from '../../families/ipvs/ops.js';
import { parseCommandLine } from './args.js';
import { CliError, tryHelp, type ParsedCommand } from './command.js';
import { failureText, planWrite, WRITE_OPTIONS, type Session, type WritePlan } from './execute.js';
import { executeList, listEverything } from './list.js';
import { rawBatch } from './raw.js';
import type { Resolver } from './resolve.js';

export interface RestoreLine {
  /** 1-based line number in the input. */
  line: number;
  words: string[];
}

/** ipvsadm's config_stream_read(): the words of every line that has any. */
export function splitLines(text: string): RestoreLine[] {
  const out: RestoreLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i]!.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm');
    if (words.length > 0) out.push({ line: i + 1, words });
  }
  return out;
}

export interface Progress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

/** A cli-progress bar on a terminal; nothing otherwise. */
export async function progressFor(stream: NodeJS.WritableStream & { isTTY?: boolean }): Promise<Progress | undefined> {
  if (!stream.isTTY) return undefined;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream, format: 'restoring [{bar}] {percentage}% | {value}/{total} rules | {duration_formatted}', hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}

interface Item {
  line: number;
  command: ParsedCommand;
  plan?: WritePlan;
}

/** Ops per ipvs.batch() call: large enough for few round trips, small enough for a lively progress bar. */
const CHUNK = 2000;

/** Runs the API ops of items[from, to) in one batch; a batch refused as a whole is retried op by op. */
async function runApiChunk(ipvs: Ipvs, items: Item[]): Promise<IpvsOpResult[]> {
  const ops = items.map((it) => it.plan!.op!) as IpvsOp[];
  try {
    return await ipvs.batch(ops, { ...WRITE_OPTIONS, stopOnError: false });
  } catch {
    const out: IpvsOpResult[] = [];
    for (const op of ops) {
      try {
        out.push(...(await ipvs.batch([op], { ...WRITE_OPTIONS, stopOnError: false })));
      } catch (err) {
        out.push({ ok: false, error: err as Error });
      }
    }
    return out;
  }
}

export interface RestoreContext {
  session: Session;
  resolver: Resolver;
  program: string;
  input: string;
  progress?: Progress;
}

/** The whole of -R; returns the exit status. */
export async function restore(ctx: RestoreContext): Promise<number> {
  const { session: s, resolver, program } = ctx;
  const items: Item[] = [];
  const problems: Array<{ line: number; error: CliError }> = [];
  for (const { line, words } of splitLines(ctx.input)) {
    try {
      const parsed = await parseCommandLine([program, ...words], resolver);
      if (parsed.kind !== 'command') throw new CliError(2, `${words[0]} cannot be used in restore input`);
      // A restore inside a restore would read the same input again.
      if (parsed.cmd === 'restore') throw tryHelp(program);
      items.push({ line, command: parsed, plan: parsed.cmd === 'list' || parsed.cmd === 'save' ? undefined : planWrite(parsed) });
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      problems.push({ line, error: err });
    }
  }
  if (problems.length > 0) {
    for (const p of problems) s.io.err(`line ${p.line}: ${p.error.text}\n`);
    s.io.err(`${program}: nothing restored (${problems.length} bad line${problems.length > 1 ? 's' : ''})\n`);
    return problems[0]!.error.exitCode;
  }

  let failed = 0;
  let done = 0;
  // While the bar is drawn, messages wait: they would tear it apart.
  const held: string[] = [];
  ctx.progress?.start(items.length);
  const report = (item: Item, err: unknown): void => {
    failed++;
    const text = `line ${item.line}: ${failureText(item.plan!.call, err)}\n`;
    if (ctx.progress) held.push(text);
    else s.io.err(text);
  };
  try {
    for (let i = 0; i < items.length; ) {
      const item = items[i]!;
      // Consecutive API ops (or consecutive raw writes) go out together.
      if (item.plan?.op || item.plan?.raw) {
        const kind = item.plan.op ? 'op' : 'raw';
        let j = i;
        while (j < items.length && j - i < CHUNK && (kind === 'op' ? items[j]!.plan?.op : items[j]!.plan?.raw)) j++;
        const group = items.slice(i, j);
        if (kind === 'op') {
          const results = await runApiChunk(s.ipvs, group);
          results.forEach((r, k) => r.ok || report(group[k]!, r.error));
        } else {
          const errors = await rawBatch(s.ipvs, group.map((it) => it.plan!.raw!));
          errors.forEach((e, k) => e && report(group[k]!, e));
        }
        i = j;
      } else if (item.plan?.run) {
        try {
          await item.plan.run(s.ipvs);
        } catch (err) {
          report(item, err);
        }
        i++;
      } else {
        // A listing in the input prints, as ipvsadm would, in its place.
        const status = item.command.cmd === 'save' ? await listEverything(item.command, s, resolver) : await executeList(item.command, s, resolver);
        if (status !== 0) failed++;
        i++;
      }
      done = i;
      ctx.progress?.update(done);
    }
  } finally {
    ctx.progress?.stop();
    if (held.length > 0) s.io.err(held.join(''));
  }
  return failed > 0 ? 255 : 0;
}
