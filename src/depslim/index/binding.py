"""No dependency confusion: a project offered by several indexes comes from one it is bound to.

The rule, in both index orders (pip merges every index and takes the highest version;
uv's "first index wins" holds in one order only):

1. A **bound** project (the torch family bound to the PyTorch index, or the user's
   ``[tool.depslim] index-of = { name = "url" }``) is looked up on its bound indexes
   only; whatever other indexes offer under its name is never seen.
2. An unbound project is looked up on **every** configured index. If one offers it,
   that is where it comes from. If several do, they must offer the very same files
   (a mirror: same file names, same sha256); otherwise the lock fails with
   :class:`IndexConfusionError`, naming the project, each index and what it offers,
   and how to bind it.

Pure: pages in, the links to use (or the error) out; the client does the fetching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.utils import NormalizedName, canonicalize_name

from depslim.credentials import redact_url
from depslim.errors import InputError
from depslim.index.routing import Routing
from depslim.models import IndexSource, Link, ProjectPage

__all__ = ["IndexConfusionError", "bind_projects", "choose_offer", "same_files"]

_SHOWN_VERSIONS = 8


class IndexConfusionError(InputError):
    """A project is offered differently by several configured indexes and bound to none.

    Exit code 2: nothing failed on the network and retrying cannot help; the user's
    configuration is ambiguous and the fix is in it (bind the project to its index).
    ``project`` is the name, ``offers`` maps each index URL (without credentials) to the
    versions it offers.
    """

    def __init__(
        self, message: str, *, project: NormalizedName, offers: Mapping[str, tuple[str, ...]]
    ) -> None:
        super().__init__(message)
        self.project = project
        self.offers = dict(offers)


def _identity(links: Iterable[Link]) -> frozenset[tuple[str, str | None]]:
    return frozenset((link.filename, (link.sha256 or "").lower() or None) for link in links)


def same_files(a: Sequence[Link], b: Sequence[Link]) -> bool:
    """Whether two indexes offer the very same files: names and sha256 of each.

    A file without a sha256 on either side cannot be shown to be the same: not a mirror.
    """
    first, second = _identity(a), _identity(b)
    return first == second and all(digest is not None for _, digest in first)


def _versions(links: Iterable[Link]) -> tuple[str, ...]:
    ordered = sorted({link.version for link in links})
    return tuple(str(v) for v in ordered)


def _describe(page: ProjectPage) -> str:
    versions = _versions(page.links)
    shown = list(versions[-_SHOWN_VERSIONS:])
    if len(versions) > _SHOWN_VERSIONS:
        shown.insert(0, f"... ({len(versions) - _SHOWN_VERSIONS} older)")
    files = len(page.links)
    return f"{', '.join(shown)} ({files} file{'s' if files != 1 else ''})"


def choose_offer(project: NormalizedName, offers: Sequence[ProjectPage]) -> tuple[Link, ...]:
    """The links of an unbound project, given what each index that lists it offers.

    ``offers`` are the pages (in index order) that list at least one file of
    ``project``. One offer is taken as it is; several are taken (from the first) only
    if they all offer the same files, else :class:`IndexConfusionError` is raised.
    """
    if not offers:
        return ()
    first = offers[0]
    if all(same_files(first.links, other.links) for other in offers[1:]):
        return first.links
    lines = [f"  {redact_url(page.index)}: {_describe(page)}" for page in offers]
    # No index is suggested: depslim cannot tell which one is legitimate.
    message = (
        f"{project} is offered by {len(offers)} of the configured indexes, and they "
        "offer different files:\n" + "\n".join(lines) + "\n"
        "A project offered by several indexes is taken only from the index it is bound "
        "to (a look-alike upload on another index is how dependency-confusion attacks "
        "get in). Check which index is the right one and bind the project to it, in "
        "pyproject.toml:\n"
        f'  [tool.depslim]\n  index-of = {{ "{project}" = "URL of that index" }}'
    )
    raise IndexConfusionError(
        message,
        project=project,
        offers={redact_url(page.index): _versions(page.links) for page in offers},
    )


def bind_projects(routing: Routing, index_of: Mapping[str, str]) -> Routing:
    """``routing`` with each project of ``index_of`` (name → index URL) bound to its index.

    A bound project is looked up on that index only (rule 1), whatever other indexes
    offer. The index is not made exclusive: other projects may still come from it,
    under rule 2. A binding here replaces an earlier one of the same project (the
    user's word wins over the torch family's default).
    """
    bound: dict[NormalizedName, tuple[IndexSource, ...]] = dict(routing.bound)
    for name, url in index_of.items():
        bound[canonicalize_name(name)] = (IndexSource(url=url),)
    return Routing(
        default=routing.default,
        find_links=routing.find_links,
        bound=bound,
        exclusive=routing.exclusive,
    )
