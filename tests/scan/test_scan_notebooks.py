"""Notebooks: code cells scanned one by one, IPython syntax blanked first."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from depslim.scan.notebooks import blank_ipython, code_cells, scan_notebook


def notebook(*cells: tuple[str, str], language: str = "python") -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"language": language, "name": "k"}},
            "cells": [
                {"cell_type": kind, "source": source.splitlines(keepends=True), "metadata": {}}
                for kind, source in cells
            ],
        }
    ).encode()


def test_blank_ipython_keeps_line_numbers_and_python() -> None:
    source = "\n".join(
        [
            "%matplotlib inline",
            "!pip install torch",
            "import pandas as pd",
            "for f in files:",
            "    !echo {f}",
            "files = !ls",
            "pd.read_csv?",
            "pd??",
            "?pd",
            "x = %time compute()",
            "import numpy",
        ]
    )
    blanked = blank_ipython(source)
    assert len(blanked.splitlines()) == len(source.splitlines())
    lines = blanked.splitlines()
    assert lines[2] == "import pandas as pd"
    assert lines[4] == "    pass"
    assert lines[10] == "import numpy"
    compile(blanked, "cell", "exec")


def test_cell_magics() -> None:
    assert blank_ipython("%%bash\npip install x\nimport os\n").strip() == ""
    assert blank_ipython("%%writefile a.py\nimport requests\n").strip() == ""
    timed = blank_ipython("%%time\nimport torch\n")
    assert "import torch" in timed
    compile(timed, "cell", "exec")


def test_notebook_imports_per_cell_and_broken_cell_is_a_warning() -> None:
    data = notebook(
        ("markdown", "# Title\nimport not_code"),
        ("code", "%load_ext autoreload\nimport pandas as pd\n!nvidia-smi"),
        ("code", "def broken(:\n    pass"),
        ("code", "from sklearn.linear_model import LogisticRegression\nmodel?"),
    )
    result = scan_notebook(data, file="notebooks/explore.ipynb")
    got = [(r.module, r.cell, r.line) for r in result.imports]
    assert got == [("pandas", 2, 2), ("sklearn.linear_model", 4, 1)]
    assert result.imports[0].where == "notebooks/explore.ipynb:cell 2:2"
    assert len(result.warnings) == 1
    assert result.warnings[0].cell == 3
    assert str(result.warnings[0]).startswith("notebooks/explore.ipynb:cell 3:1:")


def test_nbformat3_and_string_sources() -> None:
    nb = {
        "nbformat": 3,
        "worksheets": [{"cells": [{"cell_type": "code", "input": "import scipy\n"}]}],
    }
    assert list(code_cells(nb)) == [(1, "import scipy\n")]
    result = scan_notebook(json.dumps(nb), file="old.ipynb")
    assert [r.module for r in result.imports] == ["scipy"]


def test_non_python_kernel_is_skipped_and_bad_json_is_a_warning() -> None:
    r_notebook = notebook(("code", "library(ggplot2)"), language="R")
    assert scan_notebook(r_notebook, file="r.ipynb").imports == ()
    assert scan_notebook(r_notebook, file="r.ipynb").warnings == ()
    broken = scan_notebook(b"{not json", file="x.ipynb")
    assert broken.warnings[0].message.startswith("not a notebook")
    assert scan_notebook(b"[1, 2]", file="y.ipynb").warnings


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_arbitrary_cell_text_never_crashes(text: str) -> None:
    blanked = blank_ipython(text)
    assert isinstance(blanked, str)
    result = scan_notebook(notebook(("code", text)), file="fuzz.ipynb")
    assert all(r.cell == 1 for r in result.imports)
