/** `--name=value` options of the bench and scripts' command lines, each read the same way and refused clearly. */
const given = process.argv.slice(2);

/** `--name=value` as given, or `fallback`. */
export function textOption(name: string, fallback: string): string {
  return given.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

/** `--name=N`: a whole number from 1 to `max`, or `fallback`; anything else ends the program with the reason. */
export function wholeNumberOption(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = given.find((a) => a.startsWith(`--${name}=`));
  if (raw === undefined) return fallback;
  const value = Number(raw.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? "of at least 1" : `from 1 to ${max}`;
    console.error(`--${name} must be a whole number ${range}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}
