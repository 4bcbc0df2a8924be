/** YAML documents built to hurt a parser. */

/**
 * "Billion laughs": nine levels of anchors, each a list of nine aliases of the level before, so
 * that 10 short lines expand to 9^9 (~387 million) strings if aliases are resolved naively.
 */
export function aliasBomb(levels = 9): string {
  const names = 'abcdefghijklmnop'.slice(0, levels).split('');
  const lines = [`${names[0]}: &${names[0]} [${Array(9).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}
