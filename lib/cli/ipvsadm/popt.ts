// Command-line scanning with the rules of libpopt, which ipvsadm uses: they
// decide what counts as an option, an option's argument or a leftover word,
// and which word an error names. Same order, same results, so that the
// mistakes users make get ipvsadm's answers.
//  - "--name", "--name=value"; "-abc" is a cluster of short options, and the
//    rest of a cluster (after an optional "=") is the argument of the first
//    short option that takes one;
//  - a required argument is the next word, even one starting with "-"; an
//    optional argument is the next word only if it does not start with "-";
//  - words that are not options are kept as leftovers, in order ("--" makes
//    every later word one);
//  - no abbreviations, no single-dash long options.

export type ArgKind = 'none' | 'required' | 'optional';

export interface OptionSpec<V> {
  long?: string;
  short?: string;
  arg: ArgKind;
  /** What the scanner returns for this option. */
  val: V;
}

export type PoptError = 'badopt' | 'noarg' | 'unwantedarg';

export type PoptEvent<V> =
  | { kind: 'option'; val: V; /** null when an optional argument was absent. */ arg: string | null }
  | { kind: 'end' }
  | { kind: 'error'; error: PoptError };

const MESSAGES: Record<PoptError, string> = {
  badopt: 'unknown option',
  noarg: 'missing argument',
  unwantedarg: 'option does not take an argument',
};

/** poptStrerror(). */
export function poptMessage(error: PoptError): string {
  return MESSAGES[error];
}

export class PoptScanner<V> {
  private next = 1;
  private cluster: string | null = null;
  private restAreLeftovers = false;
  private nextLeftover = 0;
  readonly leftovers: string[] = [];

  constructor(
    private readonly argv: readonly string[],
    private readonly table: ReadonlyArray<OptionSpec<V>>,
  ) {}

  /** poptGetNextOpt(): the next option, the end, or an error. */
  nextOption(): PoptEvent<V> {
    for (;;) {
      let longArg: string | null = null;
      let opt: OptionSpec<V> | undefined;
      if (this.cluster === null) {
        if (this.next >= this.argv.length) return { kind: 'end' };
        const word = this.argv[this.next++]!;
        if (this.restAreLeftovers || word[0] !== '-' || word === '-') {
          this.leftovers.push(word);
          continue;
        }
        if (word === '--') {
          this.restAreLeftovers = true;
          continue;
        }
        if (word[1] === '-') {
          const body = word.slice(2);
          const eq = body.indexOf('=');
          const name = eq >= 0 ? body.slice(0, eq) : body;
          if (eq >= 0) longArg = body.slice(eq + 1);
          opt = this.table.find((o) => o.long === name);
          if (opt === undefined) return { kind: 'error', error: 'badopt' };
        } else {
          this.cluster = word.slice(1);
        }
      }
      if (this.cluster !== null) {
        const c = this.cluster[0]!;
        const rest = this.cluster.slice(1);
        this.cluster = rest === '' ? null : rest;
        opt = this.table.find((o) => o.short === c);
        if (opt === undefined) return { kind: 'error', error: 'badopt' };
      }
      const found = opt!;
      if (found.arg === 'none') {
        if (longArg !== null || (this.cluster !== null && this.cluster[0] === '=')) return { kind: 'error', error: 'unwantedarg' };
        return { kind: 'option', val: found.val, arg: null };
      }
      let arg: string | null;
      if (longArg !== null) {
        arg = longArg;
      } else if (this.cluster !== null) {
        arg = this.cluster[0] === '=' ? this.cluster.slice(1) : this.cluster;
        this.cluster = null;
      } else if (this.next >= this.argv.length) {
        if (found.arg !== 'optional') return { kind: 'error', error: 'noarg' };
        arg = null;
      } else if (found.arg === 'optional' && this.argv[this.next]![0] === '-') {
        arg = null;
      } else {
        arg = this.argv[this.next++]!;
      }
      return { kind: 'option', val: found.val, arg };
    }
  }

  /** poptBadOption(): the last word read, which an error message names. */
  badOption(): string {
    return this.argv[this.next - 1] ?? '';
  }

  /** poptGetArg(): the next leftover word, once all options were read. */
  nextArg(): string | undefined {
    return this.leftovers[this.nextLeftover++];
  }
}
