/**
 * A small terminal emulator for tests: plays raw pseudo-terminal output (text, CR, LF, the CSI
 * sequences ora and Node's readline use) onto a grid and returns what a person would see at the end,
 * so a test can tell a clean screen from a garbled one. Every code point is one column wide; the
 * screen keeps its whole history instead of scrolling.
 */
export function playScreen(raw: string, columns: number): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (r: number): string[] => {
    while (lines.length <= r) lines.push([]);
    return lines[r]!;
  };
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\u001b') {
      if (chars[i + 1] !== '[') {
        i++;
        continue;
      }
      let j = i + 2;
      let params = '';
      while (j < chars.length && /[0-9;?]/.test(chars[j]!)) params += chars[j++];
      const final = chars[j] ?? '';
      i = j;
      const n = Number(params.replace('?', '').split(';')[0] || '0');
      switch (final) {
        case 'A':
          row = Math.max(0, row - Math.max(1, n));
          break;
        case 'B':
          row += Math.max(1, n);
          break;
        case 'C':
          col += Math.max(1, n);
          break;
        case 'D':
          col = Math.max(0, col - Math.max(1, n));
          break;
        case 'G':
          col = Math.max(0, n - 1);
          break;
        case 'K': {
          const l = line(row);
          if (n === 0) l.length = Math.min(l.length, col);
          else if (n === 1) for (let k = 0; k <= col && k < l.length; k++) l[k] = ' ';
          else l.length = 0;
          break;
        }
        case 'J':
          if (n === 0) {
            line(row).length = Math.min(line(row).length, col);
            lines.length = row + 1;
          }
          break;
        default:
          // Colours (m), cursor visibility and synchronized output (h, l) change nothing visible here.
          break;
      }
      continue;
    }
    if (ch === '\r') {
      col = 0;
      continue;
    }
    if (ch === '\n') {
      row++;
      line(row);
      continue;
    }
    if (col >= columns) {
      row++;
      col = 0;
    }
    const l = line(row);
    while (l.length < col) l.push(' ');
    l[col++] = ch;
  }
  return lines.map((l) => l.join('').trimEnd());
}
