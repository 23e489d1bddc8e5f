#!/usr/bin/env python3
"""Writes man/kira-<command>-<sub>.1 for every nested subcommand from its own --help, so the
pages cannot drift from the options. Exit codes come from the subcommand's help, or from its
parent's when the subcommand does not list them. Run `make man` after changing a command.

usage: help_to_man.py KIRA MANDIR"""
import os, re, subprocess, sys

KIRA, MANDIR = sys.argv[1:3]
PARENTS = {"survival": ["km", "cox", "cutoff", "tdauc"],
           "mask": ["dilate", "erode", "ring", "largest", "label", "habitats"],
           "qc": ["icc", "overlap", "stability", "geometry"]}


def help_text(*args):
    env = dict(os.environ, COLUMNS="400")
    return subprocess.run([KIRA, *args, "--help"], capture_output=True, text=True, env=env, check=True).stdout


def sections(text):
    """Splits help text into {HEADING: body}; the text before the first heading is OVERVIEW."""
    out, name, lines = {}, None, []
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Z ]+):\s*(.*)$", line)
        if m and not line.startswith(" "):
            if name:
                out[name] = "\n".join(lines).strip("\n")
            name, lines = m.group(1), ([m.group(2)] if m.group(2) else [])
        else:
            lines.append(line)
    if name:
        out[name] = "\n".join(lines).strip("\n")
    return out


def roff(s):
    s = s.replace("\\", "\\\\").replace("-", "\\-")
    return "\n".join(("\\&" + l if l.startswith((".", "'")) else l) for l in s.splitlines())


def page(parent, sub):
    text = help_text(parent, sub)
    sec = sections(text)
    overview = sec.get("OVERVIEW", "").split("\n\n")
    abstract = " ".join(overview[0].split())
    discussion = "\n\n".join(overview[1:]).strip()
    exits = sec.get("EXIT CODES") or sections(help_text(parent)).get("EXIT CODES", "")
    name = f"kira-{parent}-{sub}"
    out = [f'.TH {name.upper()} 1 "2026-11-21" "Kira 0.1.0" "Kira Manual"', ".SH NAME",
           f"{roff(name)} \\- {roff(abstract).rstrip('.')}",
           ".SH SYNOPSIS", ".nf", roff(" ".join(sec.get("USAGE", "").split())), ".fi"]
    if discussion:
        out += [".SH DESCRIPTION"] + [roff(" ".join(p.split())) + "\n.PP" for p in discussion.split("\n\n")]
        out[-1] = out[-1].removesuffix("\n.PP")
    for heading in ("ARGUMENTS", "OPTIONS"):
        body = sec.get(heading)
        if not body:
            continue
        out.append(f".SH {heading}")
        items = re.split(r"\n(?=  \S)", "\n" + body)
        for item in items:
            item = item.strip("\n")
            if not item.strip() or "--version" in item or "--help" in item:
                continue
            m = re.match(r"^\s+(\S.*?)(?:\s{2,}(.*))?$", item.splitlines()[0])
            rest = " ".join([m.group(2) or ""] + [l.strip() for l in item.splitlines()[1:]]).strip()
            out += [".TP", ".B " + roff(m.group(1)), roff(rest)]
    if exits:
        out.append(".SH EXIT STATUS")
        for m in re.finditer(r"^\s+(\d+)\s+(.*(?:\n\s{4,}.*)*)", exits, re.M):
            out += [".TP", f".B {m.group(1)}", roff(" ".join(m.group(2).split()))]
        out += [".PP", "See docs/errors.md in the source tree for every code and the messages that produce it."]
    out += [".SH SEE ALSO", f".BR kira-{parent} (1)"]
    return name, "\n".join(out) + "\n"


for parent, subs in PARENTS.items():
    for sub in subs:
        name, text = page(parent, sub)
        with open(os.path.join(MANDIR, name + ".1"), "w") as f:
            f.write(text)
