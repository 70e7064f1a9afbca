"""The lock as a JSON document (``--json``): pins, hashes, sizes, index of each pin, target."""

from __future__ import annotations

from typing import Any

from depslim.models import Lock

__all__ = ["lock_to_json"]


def lock_to_json(lock: Lock) -> dict[str, Any]:
    """A plain-data view of the lock, stable in key order and content."""
    target = lock.target
    return {
        "target": {
            "platform": target.platform,
            "python_version": target.python_version,
            "python_full_version": target.python_full,
            "markers": target.marker_environment(),
        },
        "indexes": {
            "index_url": lock.index_url,
            "extra_index_urls": list(lock.extra_index_urls),
            "find_links": list(lock.find_links),
        },
        "inputs_hash": lock.inputs_hash,
        "notes": list(lock.notes),
        "pins": [
            {
                "name": pin.name,
                "version": str(pin.version),
                "index": pin.index,
                "url": pin.url,
                "via": list(pin.via),
                "dependencies": list(pin.dependencies),
                "files": [
                    {"filename": f.filename, "url": f.url, "sha256": f.sha256, "size": f.size}
                    for f in pin.files
                ],
            }
            for pin in sorted(lock.pins, key=lambda p: p.name)
        ],
    }
