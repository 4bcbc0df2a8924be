/**
 * Reading a YAML configuration file (system files, cost files) into plain data. Every way the
 * file can be wrong is a ConfigError naming the file (and line and column where YAML knows them):
 * not a regular file, too big, syntax errors, unresolved aliases, and alias "bombs" (a few lines
 * whose aliases expand to billions of nodes: yaml's alias budget refuses them).
 */
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './errors.ts';
import { readRegularFile } from './input-file.ts';

/** A configuration file larger than this is refused (real ones are a few KiB). */
export const MAX_CONFIG_BYTES = 1 << 20;
/** Syntax errors listed before the rest are summarised. */
const MAX_LISTED_ERRORS = 5;
/** Aliases a document may resolve (yaml's own default, stated here so that the limit is ours). */
const MAX_ALIAS_COUNT = 100;

/** Reads and parses `file`; `what` names it in messages ("system file", "cost file"). */
export function loadYamlFile(file: string, what: string): unknown {
  const fail = (message: string, cause?: unknown) => new ConfigError(message, { cause });
  const bytes = readRegularFile(file, `${file}: cannot read ${what}`, fail, MAX_CONFIG_BYTES);
  return parseYaml(bytes.toString('utf8'), file);
}

/** Parses YAML text; `file` names it in messages, one line per problem (`file:line:col: reason`). */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.slice(0, MAX_LISTED_ERRORS).map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: ${firstLine(e.message)}`;
    });
    const more = doc.errors.length - lines.length;
    if (more > 0) lines.push(`${file}: (${more} more YAML errors)`);
    throw new ConfigError(lines.join('\n'));
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    // yaml throws ReferenceError for an unresolved alias and for too many alias expansions.
    throw new ConfigError(`${file}: invalid YAML: ${aliasReason(cause)}`, { cause });
  }
}

function aliasReason(cause: unknown): string {
  const message = firstLine(cause instanceof Error ? cause.message : String(cause));
  if (/excessive alias count/i.test(message)) return 'its aliases expand to too many nodes (an alias bomb?)';
  return message;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
