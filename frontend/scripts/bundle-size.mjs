// Prints the gzipped JavaScript of the staff app (the entry and what it imports statically) and of
// the lazily loaded chunks (the public page, its charts), and fails when the staff app is over budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 150;
const dist = new URL('../dist/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('.vite/manifest.json', dist), 'utf8'));

const gzipKb = (file) => gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length / 1024;

/** A chunk's file and every chunk it imports statically, each once. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk || seen.has(key)) return seen;
  seen.add(key);
  for (const dep of chunk.imports ?? []) closure(dep, seen);
  return seen;
}

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
const staff = closure(entry);
const lazy = Object.keys(manifest).filter((k) => manifest[k].isDynamicEntry);
const total = (keys) => [...keys].filter((k) => manifest[k].file.endsWith('.js')).reduce((sum, k) => sum + gzipKb(manifest[k].file), 0);

const staffKb = total(staff);
console.log(`staff app JavaScript: ${staffKb.toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
for (const key of lazy) {
  const own = [...closure(key)].filter((k) => !staff.has(k));
  console.log(`  loaded on demand: ${manifest[key].name}: ${total(own).toFixed(1)} KB gzipped`);
}
if (staffKb > BUDGET_KB) {
  console.error(`the staff app's JavaScript is over its budget of ${BUDGET_KB} KB gzipped`);
  process.exit(1);
}
