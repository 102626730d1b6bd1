# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Chinese documentation (docs/zh/) keeps step with the English pages.

Every Chinese page exists, and every fenced code block (``` ... ```) of its English page appears in it unchanged:
commands, paths and code are never translated, so a block that changed in English and not in Chinese marks the
Chinese page as stale. The failing test id names the Chinese page; the message shows the block it lacks.
"""
from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The README's quick start: the blocks of these sections of README.md must be in docs/zh/README.md.
QUICK_START = ("The two commands", "Using it on your machines")

# (English page, Chinese page, sections of the English page whose blocks count; None: the whole page).
PAIRS = [
    ("README.md", "docs/zh/README.md", QUICK_START),
    ("docs/architecture.md", "docs/zh/architecture.md", None),
    ("docs/conventions.md", "docs/zh/conventions.md", None),
    ("docs/preflight.md", "docs/zh/preflight.md", None),
    ("docs/operations.md", "docs/zh/operations.md", None),
    ("docs/lab.md", "docs/zh/lab.md", None),
    ("docs/etcd.md", "docs/zh/etcd.md", None),
    ("docs/pki.md", "docs/zh/pki.md", None),
    ("docs/runtimes.md", "docs/zh/runtimes.md", None),
    ("docs/control_plane.md", "docs/zh/control_plane.md", None),
    ("docs/node.md", "docs/zh/node.md", None),
    ("docs/artifacts.md", "docs/zh/artifacts.md", None),
    ("docs/csr_approve.md", "docs/zh/csr_approve.md", None),
    ("docs/cis-exceptions.md", "docs/zh/cis-exceptions.md", None),
    ("docs/tutorial-map.md", "docs/zh/tutorial-map.md", None),
    ("docs/addons.md", "docs/zh/addons.md", None),
    ("docs/ha.md", "docs/zh/ha.md", None),
    ("docs/upgrade.md", "docs/zh/upgrade.md", None),
]

# English pages under docs/ without a Chinese version, on purpose.
UNTRANSLATED = {
    "docs/variables.md",  # generated from meta/argument_specs.yml by hack/gen-variables-doc.py
}

# An opening or closing fence: optional indentation, then three or more backticks (or tildes), then the info string.
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def code_blocks(text):
    """The contents of the fenced code blocks of a Markdown text, in order.

    As in CommonMark, a block ends at a fence of the same character that is at least as long and carries no info
    string (or at the end of the text), and each content line loses up to as many leading spaces as its opening
    fence was indented (a block inside a list item reads the same as at the left margin).
    """
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        i += 1
        if not opening:
            continue
        indent = len(opening.group("indent"))
        fence = opening.group("fence")
        content = []
        while i < len(lines):
            closing = FENCE.match(lines[i])
            i += 1
            if (closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence)
                    and not closing.group("info").strip()):
                break
            line = lines[i - 1]
            strip = len(line) - len(line.lstrip(" "))
            content.append(line[min(strip, indent):])
        blocks.append("\n".join(content))
    return blocks


def sections(text, titles):
    """The parts of a Markdown text under the level-2 headings `## <title>`, each up to the next heading of level
    1 or 2; fails when a title is missing (the section was renamed: update this test and the Chinese page)."""
    out = []
    for title in titles:
        match = re.search(r"^## %s[ \t]*$(?P<body>.*?)(?=^#{1,2} |\Z)" % re.escape(title), text, re.M | re.S)
        assert match, "README.md has no section '## %s' any more; update QUICK_START in %s and docs/zh/README.md" % (
            title, pathlib.Path(__file__).relative_to(ROOT))
        out.append(match.group("body"))
    return "\n".join(out)


def english_blocks(english, titles):
    text = (ROOT / english).read_text(encoding="utf-8")
    return code_blocks(sections(text, titles) if titles else text)


def pair_id(pair):
    return pair[1]


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_chinese_page_exists(pair):
    english, chinese, _titles = pair
    assert (ROOT / english).is_file(), "%s is gone: remove it (and %s) from PAIRS in this test" % (english, chinese)
    assert (ROOT / chinese).is_file(), "%s, the Chinese version of %s, is missing" % (chinese, english)


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_chinese_page_has_every_code_block_of_the_english_page(pair):
    english, chinese, titles = pair
    wanted = english_blocks(english, titles)
    path = ROOT / chinese
    have = set(code_blocks(path.read_text(encoding="utf-8"))) if path.is_file() else set()
    missing = [block for block in wanted if block not in have]
    assert not missing, (
        "%s is stale: %s has %d code block(s) that %s does not contain unchanged. Re-read %s, copy each block below "
        "into %s as it is and update the translation around it:\n\n%s" % (
            chinese, english, len(missing), chinese, english, chinese,
            "\n\n".join("```\n%s\n```" % block for block in missing)))


def test_every_english_page_has_a_chinese_version():
    paired = {english for english, _chinese, _titles in PAIRS}
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")}
    unpaired = sorted(pages - paired - UNTRANSLATED)
    assert not unpaired, (
        "English pages without a Chinese version: %s. Translate each into docs/zh/ under the same name and add the "
        "pair to PAIRS in %s (or, if it must stay English only, to UNTRANSLATED)" % (
            ", ".join(unpaired), pathlib.Path(__file__).relative_to(ROOT)))


def test_code_blocks_reads_fences_as_markdown_does():
    text = "\n".join([
        "text",
        "```sh",
        "make lab     # comment",
        "",
        "```",
        "- item:",
        "  ```yaml",
        "  key:",
        "    nested: 1",
        "  ```",
        "````",
        "```",
        "````",
        "    indented, not fenced",
    ])
    assert code_blocks(text) == ["make lab     # comment\n", "key:\n  nested: 1", "```"]
    readme = "# t\n## The two commands\n```\na\n```\n## Other\n```\nb\n```\n## Using it on your machines\n```\nc\n```\n"
    assert code_blocks(sections(readme, QUICK_START)) == ["a", "c"]
