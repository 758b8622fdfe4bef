/** Shell, navigation and shared words. */
export const templates = {
  'app.title': '天枢',
} as const;
