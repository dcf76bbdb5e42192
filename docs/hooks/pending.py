"""MkDocs hook: a page that another branch is writing, shown from ``docs/hooks/pending/`` until it lands.

``mkdocs.yml`` links ``migrating-from-1x.md`` from the nav while its real page is written elsewhere
(issue 13). Until ``docs/<name>.md`` exists, the file of the same name in ``docs/hooks/pending/``
stands in for it, so the strict build has no missing nav entry. Once the real page exists, the build
warns (and so fails in strict mode) until the stand-in is deleted: its text must not live twice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.structure.files import File

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

PENDING = Path(__file__).resolve().parent / "pending"
log = logging.getLogger("mkdocs.hooks.pending")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for stand_in in sorted(PENDING.glob("*.md")):
        if files.get_file_from_path(stand_in.name) is None:
            file = File.generated(config, stand_in.name, content=stand_in.read_text(encoding="utf-8"))
            file.edit_uri = None
            files.append(file)
        else:
            log.warning(
                "docs/%s exists: delete its stand-in %s", stand_in.name, stand_in.relative_to(PENDING.parents[2])
            )
    return files
