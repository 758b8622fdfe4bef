/** Shell, navigation, formatting and shared words. */
export const templates = {
  'format.never': '从未',
};
