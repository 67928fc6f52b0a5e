"""The default configuration's symbols, read from the Makefiles and Kconfig files of the real
6.1, 6.12 and 7.3 trees (the rust trees carry every Makefile, Kbuild and Kconfig file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.build import kconfig


def reader(top: Path):
    def read(path: str) -> str | None:
        file = top / path
        return file.read_text(errors="replace") if file.is_file() else None
    return read


@pytest.mark.parametrize("release", ["6.1", "6.12", "7.3"])
def test_a_sample_needs_its_symbol_its_menu_and_rust(rust_trees, release):
    choice = kconfig.default_choice(reader(rust_trees[release]), ["samples/rust/rust_minimal.rs"])
    wanted = choice.wanted
    for symbol in ("SAMPLE_RUST_MINIMAL", "SAMPLES_RUST", "SAMPLES", "RUST", "KUNIT",
                   "RUST_KERNEL_DOCTESTS"):
        assert symbol in wanted, (release, wanted)
    assert wanted.index("SAMPLE_RUST_MINIMAL") < wanted.index("SAMPLES_RUST")
    assert choice.notes == ()


@pytest.mark.parametrize("release", ["6.12", "7.3"])
def test_a_rust_phy_driver_needs_the_guard_of_its_makefile_line(rust_trees, release):
    read = reader(rust_trees[release])
    # drivers/net/phy/Makefile: ifdef CONFIG_AX88796B_RUST_PHY / obj-$(CONFIG_AX88796B_PHY)
    assert kconfig.symbols_for_path(read, "drivers/net/phy/ax88796b_rust.rs")[:2] == \
        ["AX88796B_RUST_PHY", "AX88796B_PHY"]
    kconfigs = [str(p.relative_to(rust_trees[release]))
                for p in rust_trees[release].rglob("Kconfig*")]
    wanted = kconfig.default_choice(read, ["drivers/net/phy/ax88796b_rust.rs"], kconfigs).wanted
    assert {"PHYLIB", "NETDEVICES", "NET"} <= set(wanted)


def test_the_kernel_crate_needs_rust_only(rust_trees):
    read = reader(rust_trees["7.3"])
    assert kconfig.symbols_for_path(read, "rust/kernel/str.rs") == ["RUST"]
    assert kconfig.symbols_for_path(read, "Documentation/rust/index.rst") == []


def test_a_file_no_makefile_builds_is_said(rust_trees):
    choice = kconfig.default_choice(reader(rust_trees["7.3"]), ["samples/rust/not_built.rs"])
    assert choice.notes == ("no Makefile line builds samples/rust/not_built.rs; the default "
                            "configuration may not compile it",)


@pytest.mark.parametrize("expression, symbols", [
    ("RUST && KUNIT=y", ["RUST", "KUNIT"]),
    ("NET && (PHYLIB || !X)", ["NET"]),
    ("!COMPILE_TEST", []),
    ("A || B", []),
    ("(A && B)", ["A", "B"]),
    ("HAS_IOMEM && SERIAL_CORE", ["HAS_IOMEM", "SERIAL_CORE"]),
])
def test_plain_symbols_are_the_certain_ones(expression, symbols):
    assert kconfig.plain_symbols(expression) == symbols
