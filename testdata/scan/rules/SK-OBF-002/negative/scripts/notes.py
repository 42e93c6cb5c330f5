"""Formats the notes of the acme-notes service as a table."""

import json
import sys

HEADER = "| title | tags |"


def table(path):
    with open(path, encoding="utf-8") as handle:
        notes = json.load(handle)
    rows = [HEADER, "|---|---|"]
    for note in notes:
        rows.append(f"| {note['title']} | {', '.join(note['tags'])} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1]))
