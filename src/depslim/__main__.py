"""``python -m depslim``."""

from depslim.cli import entry

if __name__ == "__main__":
    entry()
