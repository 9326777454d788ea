import { describe, expect, it } from 'vitest';
import { playScreen } from './screen.js';

describe('playScreen (the test terminal)', () => {
  it('overwrites what a spinner cleared and keeps what was written above it', () => {
    const raw = 'first\r\n⠋ spin\r\n  agent\u001b[1G\u001b[0K\u001b[1A\u001b[0Kdone\r\n⠙ spin\r\n\u001b[31mred\u001b[39m\rR';
    expect(playScreen(raw, 80)).toEqual(['first', 'done', '⠙ spin', 'Red']);
  });

  it('wraps long lines at the right margin', () => {
    expect(playScreen('abcdef', 4)).toEqual(['abcd', 'ef']);
  });
});
