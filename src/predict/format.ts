/**
 * Text formats shared by the reports of predict and the atlas.
 *
 *   f3(x), signed(x)        3 decimals ("–" when not finite); signed with its "+"
 *   table(header, rows)     a Markdown table
 *   reportJson(value)       JSON with one space of indent, non-finite numbers as null (JSON has no NaN)
 */
export const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "–");
export const signed = (x: number) => (Number.isFinite(x) ? (x >= 0 ? `+${x.toFixed(3)}` : x.toFixed(3)) : "–");

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function reportJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1)}\n`;
}
