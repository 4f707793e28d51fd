"""Print the Debian archive mirror that this machine's apt already uses (for leg 3's debootstrap).

The mirror is the first enabled ``deb`` source for the machine's own release (the
``VERSION_CODENAME`` of ``/etc/os-release``, a bare suite such as ``bookworm``, not
``bookworm-security``), read from ``/etc/apt/sources.list``, ``/etc/apt/sources.list.d/*.list``
(one-line form) and ``/etc/apt/sources.list.d/*.sources`` (deb822 form). A Debian mirror
serves every release, so the one the host uses for its own serves trixie too, and CI needs no
address written in its script. ``DEBIAN_MIRROR`` in the environment overrides it.

Usage: ``python3 .ci/debian_mirror.py [ROOT]`` (ROOT defaults to ``/``; the tests point it at a
tree of their own). Exits 1 with a message when no source fits.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path


def codename(root: Path) -> str:
    """The machine's release codename, from ``etc/os-release`` under ``root``."""
    for line in (root / "etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "VERSION_CODENAME":
            return value.strip().strip("\"'")
    return ""


def one_line_sources(text: str) -> list[tuple[str, list[str]]]:
    """(URI, suites) of each ``deb`` line (``deb [options] URI SUITE COMPONENTS...``)."""
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            found.append((words[0], [words[1]]))
    return found


def deb822_sources(text: str) -> list[tuple[str, list[str]]]:
    """(URI, suites) of each enabled ``Types: deb`` paragraph."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        found += [(uri, suites) for uri in fields.get("uris", "").split()]
    return found


def mirror(root: Path) -> str | None:
    """The first source's URI for the machine's own release, or None."""
    release = codename(root)
    apt = root / "etc/apt"
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    sources = [s for f in files if f.is_file() for s in one_line_sources(f.read_text())]
    sources += [
        s
        for f in sorted((apt / "sources.list.d").glob("*.sources"))
        for s in deb822_sources(f.read_text())
    ]
    for uri, suites in sources:
        if release and release in suites:
            return uri.rstrip("/")
    return None


def main(argv: list[str]) -> int:
    if os.environ.get("DEBIAN_MIRROR"):
        print(os.environ["DEBIAN_MIRROR"])
        return 0
    root = Path(argv[1] if len(argv) > 1 else "/")
    found = mirror(root)
    if found is None:
        print(
            f"no apt source for this machine's release ({codename(root) or 'unknown'}) in "
            f"{root / 'etc/apt'}; set DEBIAN_MIRROR to a Debian mirror",
            file=sys.stderr,
        )
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
