/** Download links for texts: a Blob URL per file, the file's name as the link's download name. */

const urls = new Map<HTMLElement, string[]>();

/** Replaces the links in `el` with one per file (name -> text); the old Blob URLs are released. */
export function showDownloads(el: HTMLElement, files: Record<string, string>, mime: (name: string) => string): void {
  for (const url of urls.get(el) ?? []) URL.revokeObjectURL(url);
  el.replaceChildren();
  const made: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const url = URL.createObjectURL(new Blob([text], { type: mime(name) }));
    made.push(url);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.textContent = name;
    a.dataset.file = name;
    el.append(a);
  }
  urls.set(el, made);
}

export function mimeOf(name: string): string {
  return name.endsWith(".json") ? "application/json" : "text/csv";
}
