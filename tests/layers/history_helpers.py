"""Helpers the history replay tests share: commit lock states to a real git repo, and
the alphabetical baseline (pip-compile's order cut into equal layers)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

from packaging.utils import NormalizedName

State = dict[NormalizedName, tuple[str, int]]


def commit_states(repo: Path, dates: list[datetime], states: list[State]) -> None:
    def git(*args: str, when: datetime | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    repo.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    git("config", "user.name", "Lock Bot")
    git("config", "user.email", "bot@example.invalid")
    git("config", "commit.gpgsign", "false")
    previous = None
    for when, state in zip(dates, states, strict=True):
        text = "".join(f"{n}=={v}\n" for n, (v, _) in sorted(state.items()))
        if text != previous:
            (repo / "requirements.txt").write_text(text, encoding="utf-8")
            git("add", "requirements.txt")
            git("commit", "-q", "-m", "refresh", when=when)
            previous = text


def alphabetical(names: list[NormalizedName], n: int) -> list[list[NormalizedName]]:
    ordered = sorted(names)
    bounds = [round(k * len(ordered) / n) for k in range(n + 1)]
    return [ordered[bounds[k] : bounds[k + 1]] for k in range(n) if bounds[k] < bounds[k + 1]]
