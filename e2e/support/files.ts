import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under a folder whose bytes contain the needle (binary files included). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const bytes = Buffer.from(needle);
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (await readFile(full)).includes(bytes)) hits.push(full);
    }
  };
  await walk(dir);
  return hits;
}
