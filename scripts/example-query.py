#!/usr/bin/env python3
"""`make sample`'s example: a dress from the sample catalog and what shoppers bought with it,
straight from work/catalog.sqlite (any SQLite client can read it) — the answer `loom query` is
then asked for. The dress is a held-out one (test split of work/triplets.sqlite, never seen in
training) when that file is there. `--anchor` prints only the dress's asin (for the Makefile)."""
import os
import sqlite3
import sys

arguments = [a for a in sys.argv[1:] if a != "--anchor"]
path = arguments[0] if arguments else "work/catalog.sqlite"
db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
held_out = ""
triplets = os.path.join(os.path.dirname(path), "triplets.sqlite")
if os.path.exists(triplets):
    db.execute("ATTACH DATABASE ? AS t", (f"file:{triplets}?mode=ro",))
    held_out = "AND i.id IN (SELECT item FROM t.splits WHERE split = 'test') "
anchor = db.execute(
    "SELECT i.id, i.asin, i.title FROM items i JOIN edges e ON e.src = i.id AND e.kind = 'also_bought' "
    "WHERE i.type = 'dress' " + held_out + "GROUP BY i.id ORDER BY i.id LIMIT 1").fetchone()
if anchor is None:
    sys.exit("no dress with also-bought partners in " + path)
if "--anchor" in sys.argv:
    print(anchor[1])
    sys.exit(0)
print(f"\nexample: what was bought with {anchor[1]} \"{anchor[2]}\"" + (" (held out of training)" if held_out else ""))
rows = db.execute(
    "SELECT i.asin, i.type, i.title FROM edges e JOIN items i ON i.id = e.dst "
    "WHERE e.src = ? AND e.kind = 'also_bought' ORDER BY e.rowid LIMIT 6", (anchor[0],)).fetchall()
for asin, kind, title in rows:
    print(f"  {asin}  {kind:<10} {title}")
