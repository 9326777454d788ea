/** The state.json format; a file of another version is refused, not guessed at. */
export const STATE_VERSION = 1;
