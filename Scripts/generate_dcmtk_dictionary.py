#!/usr/bin/env python3
"""Turns dcmtk's text data dictionaries into a C++ table compiled into the CDcmtk shim.

dcmtk parses `dicom.dic` and `private.dic` (8,000 lines, with sscanf) the first time any
file is opened; that was 60 % of the instructions of a small `kira convert`. The shim
instead fills the dictionary from this table (kira_dcm_dictionary.cpp). The table
holds facts of the DICOM standard and of vendors' private tags: tag (or tag range), VR,
keyword, VM, version, private creator, in dcmtk's own field rules (range restrictions,
"n" VMs), so lookups give the same answers as the text files.

Order: dcmtk files each single-tag entry into a hash bucket kept sorted by tag, walking the
bucket from its smallest tag to find the place; entries listed from the largest tag down
therefore each go in at the front, so filling the dictionary does not walk the buckets.
A later line for the same tag and private creator replaces an earlier one, as dcmtk does
when it reads the files. Tag ranges (repeating entries) keep the files' order, which
decides how dcmtk places overlapping ranges.

Usage: python3 Scripts/generate_dcmtk_dictionary.py [dicom.dic private.dic ...]
       (default: Debian 12's /usr/share/libdcmtk17/{dicom,private}.dic, dcmtk's default path)
Writes Sources/CDcmtk/kira_dcm_dictionary_table.h.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["/usr/share/libdcmtk17/dicom.dic", "/usr/share/libdcmtk17/private.dic"]
OUT = os.path.join(ROOT, "Sources", "CDcmtk", "kira_dcm_dictionary_table.h")
VARIABLE = -1  # dcmtk's DcmVariableVM
VRS = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF", "OL",
       "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UR", "US", "UT",
       "UV", "UN", "ox", "px", "xs", "lt", "na", "up"}


def tag_part(s):
    """(low, high, restriction) of one tag half, as dcmtk reads "g", "g-G" (even) or "g-r-G"."""
    m = re.fullmatch(r"([0-9a-fA-F]+)-(.)-([0-9a-fA-F]+)", s)
    if m:
        r = {"o": "Odd", "e": "Even", "u": "Unspecified"}.get(m.group(2).lower())
        if r is None:
            raise ValueError(f"unknown range restrictor in {s!r}")
        return int(m.group(1), 16), int(m.group(3), 16), r
    m = re.fullmatch(r"([0-9a-fA-F]+)-([0-9a-fA-F]+)", s)
    if m:
        return int(m.group(1), 16), int(m.group(2), 16), "Even"
    m = re.fullmatch(r"([0-9a-fA-F]+)", s)
    if m:
        v = int(m.group(1), 16)
        return v, v, "Unspecified"
    raise ValueError(f"bad tag part {s!r}")


def tag_field(s):
    s = s.strip()
    m = re.fullmatch(r'\(([^,]*),\s*(?:"([^"]*)"\s*,)?([^)]*)\)', s)
    if not m:
        raise ValueError(f"bad tag field {s!r}")
    g = tag_part(re.sub(r"\s", "", m.group(1)))
    e = tag_part(re.sub(r"\s", "", m.group(3)))
    return g, e, m.group(2)


def vm_field(s):
    s = re.sub(r"\s", "", s)
    for pattern, make in [
        (r"(\d+)-(\d+)[nN].*", lambda m: (int(m.group(1)), VARIABLE)),  # "2-2n" reads as "2-n"
        (r"(\d+)-(\d+).*", lambda m: (int(m.group(1)), int(m.group(2)))),
        (r"(\d+)-[nN].*", lambda m: (int(m.group(1)), VARIABLE)),
        (r"(\d+)[nN].*", lambda m: (int(m.group(1)), VARIABLE)),
        (r"(\d+)", lambda m: (int(m.group(1)), int(m.group(1)))),
        (r"[nN].*", lambda m: (1, VARIABLE)),
    ]:
        m = re.fullmatch(pattern, s)
        if m:
            return make(m)
    raise ValueError(f"bad VM field {s!r}")


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(paths):
    single = {}  # (group, element, creator) -> row; a later line replaces an earlier one
    ranges = []
    for path in paths:
        with open(path, encoding="latin-1") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip()
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                fields = line.split("\t")
                if not 3 <= len(fields) <= 5:
                    raise SystemExit(f"{path}:{number}: {len(fields)} fields")
                (gl, gh, gr), (el, eh, er), creator = tag_field(fields[0])
                vr = re.sub(r"\s", "", fields[1])
                if vr not in VRS:
                    raise SystemExit(f"{path}:{number}: unknown VR {vr}")
                name = re.sub(r"\s", "", fields[2])
                vm = vm_field(fields[3]) if len(fields) >= 4 else (1, 1)
                version = re.sub(r"\s", "", fields[4]) if len(fields) == 5 else "DICOM"
                row = (f"{{0x{gl:04x}, 0x{el:04x}, 0x{gh:04x}, 0x{eh:04x}, EVR_{vr}, {c_string(name)}, "
                       f"{vm[0]}, {vm[1]}, {c_string(version)}, DcmDictRange_{gr}, DcmDictRange_{er}, "
                       f"{c_string(creator) if creator is not None else 'nullptr'}}},")
                if (gl, el) == (gh, eh):
                    single.pop((gl, el, creator), None)
                    single[(gl, el, creator)] = row
                else:
                    ranges.append(row)
    largest_first = sorted(single, key=lambda k: (k[0] << 16 | k[1], k[2] or ""), reverse=True)
    rows = [single[k] for k in largest_first] + ranges
    sources = ", ".join(os.path.basename(p) for p in paths)
    with open(OUT, "w") as out:
        out.write(f"// Generated by Scripts/generate_dcmtk_dictionary.py from dcmtk's {sources}; do not edit.\n")
        out.write("// group, element, upper group, upper element, VR, keyword, VM min, VM max, version,\n")
        out.write("// group range restriction, element range restriction, private creator.\n")
        out.write("\n".join(rows) + "\n")
    print(f"{OUT}: {len(rows)} entries")


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
