"""A27 (atomic context): what may sleep while a SpinLock guard is alive, scope by scope; the
shapes the tree writes correctly stay silent. The context is the real slim tree's."""

from __future__ import annotations

import textwrap

import pytest

from patchpilot.core.checks.rust.rules import check_rust_file
from patchpilot.core.checks.rust.tree import tree_context

DRIVER = "drivers/net/phy/x.rs"

HEAD = """
use kernel::prelude::*;
use kernel::sync::{new_condvar, new_mutex, new_spinlock, CondVar, Mutex, SpinLock};

type StatsLock = SpinLock<u64>;

#[pin_data]
struct Dev {
    #[pin]
    list: SpinLock<KVec<u32>>,
    #[pin]
    cfg: Mutex<u32>,
    #[pin]
    wq: CondVar,
    #[pin]
    stats: StatsLock,
    #[pin]
    other: Opaque,
}

impl Dev {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            other <- new_spinlock!(0),
            list <- new_spinlock!(KVec::new()),
            cfg <- new_mutex!(0),
            wq <- new_condvar!(),
            stats <- new_spinlock!(0),
        })
    }
"""


@pytest.fixture(scope="module")
def ctx(slim_template):
    return tree_context(slim_template)


START = textwrap.dedent(HEAD).lstrip("\n").count("\n")


def found(ctx, body, path=DRIVER):
    """(line, message) with lines counted from the start of `body` (its first line is 1)."""
    text = textwrap.dedent(HEAD).lstrip("\n") + textwrap.dedent(body) + "}\n"
    return [(f.line - START, f.message) for f in
            check_rust_file(path, text, range(1, text.count("\n") + 2), ctx, ["A27"])]


def test_sleeping_calls_under_a_let_guard(ctx):
    body = """
    fn bad(&self) -> Result {
        let mut guard = self.list.lock();
        guard.push(1, GFP_KERNEL)?;
        let b = KBox::new(2, flags::GFP_KERNEL_ACCOUNT)?;
        let c = self.cfg.lock();
        let d = KVec::<KBox<u8>>::with_capacity(4, GFP_KERNEL | __GFP_ZERO)?;
        let e = CString::try_from_fmt(fmt!("{}", 1))?;
        let f = kvec![1, 2]?;
        self.wq.wait(&mut guard);
        Ok(())
    }
    """
    where = f"while the SpinLock guard `guard` (taken on line {START + 3} by " \
        "`self.list.lock()`) is alive"
    assert found(ctx, body) == [
        (4, f"`.push(.., GFP_KERNEL)` may sleep {where}"),
        (5, f"`KBox::new(.., GFP_KERNEL_ACCOUNT)` may sleep {where}"),
        (6, f"`self.cfg.lock()` takes a Mutex, which sleeps, {where}"),
        (7, f"`KVec::with_capacity(.., GFP_KERNEL)` may sleep {where}"),
        (8, f"`CString::try_from_fmt` allocates with GFP_KERNEL and may sleep, {where}"),
        (9, f"`kvec![..]` allocates with GFP_KERNEL, which may sleep, {where}"),
    ]  # line 10: the wait releases `guard`, the only SpinLock held


def test_temporaries_type_aliases_and_pin_init_fields(ctx):
    body = """
    fn temp(&self) -> Result {
        self.list.lock().push(3, GFP_KERNEL)?;
        if let Some(x) = self.list.lock().pop() {
            let _b = KBox::new(x, GFP_KERNEL)?;
        }
        let s = self.stats.lock();
        let o = self.other.lock();
        let _v = Arc::pin_init(new_mutex!(0), GFP_KERNEL)?;
        Ok(())
    }
    """
    lines = [line for line, _ in found(ctx, body)]
    assert lines == [3, 5, 9]
    assert f"temporary SpinLock guard of `self.list.lock()` (line {START + 4})" \
        in found(ctx, body)[1][1]
    assert f"`s` (taken on line {START + 7} by `self.stats.lock()`)" in found(ctx, body)[2][1]


def test_waiting_on_a_condvar_while_another_spinlock_is_held(ctx):
    body = """
    fn two(&self) {
        let s = self.stats.lock();
        let mut g = self.list.lock();
        self.wq.wait_interruptible(&mut g);
    }
    """
    assert [(line, "`s`" in m) for line, m in found(ctx, body)] == [(5, True)]


def test_traps_the_tree_writes_correctly(ctx):
    body = """
    fn good(&self) -> Result {
        let mut guard = self.list.lock();
        guard.push(1, GFP_ATOMIC)?;
        guard.push(2, GFP_NOWAIT | __GFP_NOWARN)?;
        guard.push(3, flags)?;
        drop(guard);
        let _b = KBox::new(2, GFP_KERNEL)?;
        {
            let g = self.list.lock();
            g.len();
        }
        let _c = KBox::new(2, GFP_KERNEL)?;
        if self.list.lock().is_empty() {
            let _d = KBox::new(2, GFP_KERNEL)?;
        }
        let n = self.list.lock().len();
        let _e = KVec::<u8>::with_capacity(n, GFP_KERNEL)?;
        let m = self.cfg.lock();
        let _f = KBox::new(2, GFP_KERNEL)?;
        let mut g = self.list.lock();
        self.wq.wait(&mut g);
        let later = move || KBox::new(1, GFP_KERNEL);
        let s = "self.list.lock(); KBox::new(1, GFP_KERNEL)";
        // let g = self.list.lock(); KBox::new(1, GFP_KERNEL)
        Ok(())
    }
    fn after(&self) -> Result {
        let _g = KBox::new(2, GFP_KERNEL)?;
        Ok(())
    }
    #[cfg(test)]
    fn test_only(&self) {
        let g = self.list.lock();
        let _h = KBox::new(2, GFP_KERNEL);
    }
    """
    assert found(ctx, body) == []


def test_host_code_and_unknown_locks_are_left_alone(ctx):
    code = """
    fn f(l: &Unknown) {
        let g = l.lock();
        let _b = KBox::new(1, GFP_KERNEL);
    }
    fn g(l: &SpinLock<u8>) {
        let g = l.lock();
        let _b = KBox::new(1, GFP_KERNEL);
    }
    """
    text = textwrap.dedent(code).lstrip("\n")
    lines = range(1, 10)
    assert [f.line for f in check_rust_file(DRIVER, text, lines, ctx, ["A27"])] == [7]
    assert check_rust_file("rust/macros/x.rs", text, lines, ctx, ["A27"]) == []
