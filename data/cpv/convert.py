#!/usr/bin/env python3
"""Regenerates data/cpv/cpv_2008.csv and data/units/unit_codes.csv from the ProZorro JSON files.

Usage: data/cpv/convert.py /path/to/cpv-2008   (the folder described in data/cpv/SOURCE.txt)
Python 3 standard library only; output is deterministic (sorted by code).
"""
import csv
import json
import os
import sys

LEVELS = ["division", "group", "class", "category", "subcategory"]


def cpv_level(code8):
    # Significant digits after the 2-digit division: 03000000 -> division, 03100000 -> group ...
    digits = code8.rstrip("0")
    n = max(len(digits), 2)
    return LEVELS[min(n - 2, 4)] if n <= 5 else "subcategory"


def cpv_parent(code8, known):
    sig = max(len(code8.rstrip("0")), 2)  # significant digits (a subcategory has up to 8)
    for cut in range(sig - 1, 1, -1):
        candidate = code8[:cut].ljust(8, "0")
        if candidate != code8 and candidate in known:
            return candidate
    return ""


def main():
    src = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(src, "cpv_en.json"), encoding="utf-8") as f:
        cpv = json.load(f)
    by8 = {code[:8]: code for code in cpv}
    with open(os.path.join(here, "cpv_2008.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "level", "parent", "label_en"])
        for code in sorted(cpv):
            c8 = code[:8]
            parent8 = cpv_parent(c8, by8)
            w.writerow([code, cpv_level(c8), by8.get(parent8, ""), cpv[code]])
    with open(os.path.join(src, "unit_codes_en.json"), encoding="utf-8") as f:
        units = json.load(f)
    with open(os.path.join(src, "unit_codes_recommended_en.json"), encoding="utf-8") as f:
        recommended = json.load(f)
    with open(os.path.join(here, "..", "units", "unit_codes.csv"), "w", encoding="utf-8",
              newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "symbol", "recommended"])
        for code in sorted(units):
            u = units[code]
            w.writerow([code, u["name"], u["symbol"], "1" if code in recommended else "0"])


if __name__ == "__main__":
    main()
