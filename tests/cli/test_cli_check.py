"""`patchpilot check`: text and JSON output, exit codes, bad input; in-process, on real trees."""

from __future__ import annotations

import io
import json
import shutil

from patchpilot.cli.main import main
from tests.helpers import commit, git, rust_sample

UNSAFE = "\n/// Reads.\npub fn read(p: &u32) -> u32 {\n    unsafe { core::ptr::read(p) }\n}\n"


def cli(tree, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def series(tree):
    git(tree, "checkout", "-q", "-b", "work", "--track", "master")
    commit(tree, {"samples/rust/rust_c.rs": rust_sample("rust_c")},
           "samples: rust: add the c sample\n\nAdd a sample that prints a line at load.")
    commit(tree, {"samples/rust/rust_c.rs": rust_sample("rust_c") + UNSAFE},
           "samples: rust: c: add a read helper\n\nRead through a reference.")


def test_json_contract_and_exit_codes(kernel_tree):
    series(kernel_tree)
    code, out, err = cli(kernel_tree, "check", "--json")
    doc = json.loads(out)
    assert code == 1, err
    assert doc["series"]["patches"] == 2 and doc["series"]["cached"] == 0
    assert len(doc["series"]["base"]) == 40 and len(doc["series"]["head"]) == 40
    a4 = [f for f in doc["findings"] if f["rule"] == "A4"]
    assert a4 and a4[0]["patch"] == 2 and a4[0]["tool"] == "rust" and a4[0]["line"] > 20
    assert a4[0]["lint"] == "clippy::undocumented_unsafe_blocks" and a4[0]["hint"]
    assert doc["summary"]["error"] == sum(f["severity"] == "error" for f in doc["findings"])
    code, out, _ = cli(kernel_tree, "check", "--json")
    assert json.loads(out)["series"]["cached"] == 2
    assert cli(kernel_tree, "check", "--tool", "commit")[0] == 0
    assert cli(kernel_tree, "check", "--tool", "commit,rust", "--fail-on", "error")[0] == 1
    code, out, _ = cli(kernel_tree, "check", "--tool", "checkpatch", "--fail-on", "warning")
    assert code == 1 and "FILE_PATH_CHANGES" in out


def test_text_output_per_patch_in_order(kernel_tree):
    series(kernel_tree)
    code, out, _ = cli(kernel_tree, "check", "--tool", "rust,commit,rustfmt")
    lines = out.splitlines()
    assert lines[0].startswith("[1/2]") and any(ln.startswith("[2/2]") for ln in lines)
    assert any("samples/rust/rust_c.rs:" in ln and
               "rust/A4 [clippy::undocumented_unsafe_blocks]:" in ln for ln in lines)
    assert "patches (0 from the cache)" in lines[-1]


def test_range_argument(kernel_tree):
    series(kernel_tree)
    code, out, _ = cli(kernel_tree, "check", "HEAD~1..HEAD", "--json", "--tool", "rust")
    assert json.loads(out)["series"]["patches"] == 1 and code == 1


def test_bad_input_is_one_line_and_exit_2(kernel_tree):
    series(kernel_tree)
    for argv in (["check", "--tool", "nope"], ["check", "nosuch..HEAD"],
                 ["check", "--profile", "strictest"]):
        code, out, err = cli(kernel_tree, *argv)
        assert code == 2 and err.startswith("patchpilot: error:") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    (kernel_tree / "scripts/checkpatch.pl").unlink()
    code, _, err = cli(kernel_tree, "check", "--tool", "checkpatch")
    assert code == 2 and "no scripts/checkpatch.pl" in err


def test_doctor_reports_real_tools_against_the_tree(kernel_tree, tmp_path):
    code, out, err = cli(kernel_tree, "doctor", "--json")
    doc = json.loads(out)
    items = {i["name"]: i for i in doc["items"]}
    assert set(items) >= {"rustc", "bindgen", "rustfmt", "clippy", "rust-src", "clang",
                          "perl", "Rust build", "klint"}
    assert items["klint"]["status"] == "info" and "A27" in items["klint"]["hint"]
    assert items["rustc"]["status"] == "ok" and items["rustc"]["required"] == "1.78.0"
    assert items["bindgen"]["required"] == "0.65.1"
    assert all(i["hint"] for i in doc["items"] if i["status"] != "ok")
    assert items["Rust build"]["status"] == "info" and "checks.kbuild" in items["Rust build"]["hint"]
    assert code == (0 if doc["healthy"] else 1)
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb/.config").write_text("CONFIG_RUST=y\n")
    code, out, _ = cli(kernel_tree, "doctor", "--json", "--kbuild", str(tmp_path / "kb"))
    assert {i["name"]: i["status"] for i in json.loads(out)["items"]}["Rust build"] == "ok"
    code, out, _ = cli(kernel_tree, "doctor")
    assert "rustc" in out and ("MISSING" not in out or "->" in out)


def test_doctor_last_line_says_what_is_missing_for_what(kernel_tree, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"  # a machine with git, perl and rustfmt only
    bin_dir.mkdir()
    for tool in ("sh", "git", "perl", "rustfmt"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, _ = cli(kernel_tree, "doctor")
    assert code == 0  # check can run: only optional parts are missing
    last = out.strip().splitlines()[-1]
    assert last.startswith("check can run (optional parts are missing); missing ")
    assert "for building Rust: rustc, bindgen, rust-src, clang, ld.lld" in last
    assert "for clippy: clippy, Rust build (not configured)" in last
    assert json.loads(cli(kernel_tree, "doctor", "--json")[1])["summary"] == last
    (bin_dir / "rustfmt").unlink()
    code, out, _ = cli(kernel_tree, "doctor")
    assert code == 1
    assert out.strip().splitlines()[-1].startswith("check cannot run; missing ")
    assert "for rustfmt: rustfmt" in out.strip().splitlines()[-1]
