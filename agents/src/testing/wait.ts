/** Polls `check` until it returns true or `timeoutMillis` passes; for tests. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMillis = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
