"""Text of the demo series: a new Rust sample in three patches, and a PHY driver doc fix.

Patch 2 of the sample deliberately carries what a Rust-for-Linux reviewer would flag (an
`unsafe` block without a `// SAFETY:` comment, an `.unwrap()`), so the checks have work to show.
"""

from __future__ import annotations

SAMPLE = """\
// SPDX-License-Identifier: GPL-2.0

//! Rust pilot sample.
//!
//! Shows how a small module keeps a list of numbers.

use kernel::prelude::*;

module! {
    type: RustPilot,
    name: "rust_pilot",
    author: "Demo Developer",
    description: "Rust pilot sample",
    license: "GPL",
}

struct RustPilot {
    numbers: KVec<i32>,
}

impl kernel::Module for RustPilot {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("Rust pilot sample (init)\\n");

        let mut numbers = KVec::new();
        numbers.push(72, GFP_KERNEL)?;
        numbers.push(108, GFP_KERNEL)?;

        Ok(RustPilot { numbers })
    }
}

impl Drop for RustPilot {
    fn drop(&mut self) {
        pr_info!("My numbers are {:?}\\n", self.numbers);
        pr_info!("Rust pilot sample (exit)\\n");
    }
}
"""

SUM = """
impl RustPilot {
    /// Returns the sum of the numbers.
    fn sum(&self) -> i32 {
        let first = self.numbers.first().unwrap();
        let ptr = self.numbers.as_ptr();
        let second = unsafe { *ptr.add(1) };
        first + second
    }
}
"""

KCONFIG = """
config SAMPLE_RUST_PILOT
	tristate "Pilot"
	help
	  This option builds the Rust pilot module sample.

	  To compile this as a module, choose M here:
	  the module will be called rust_pilot.

	  If unsure, say N.
"""


def _add_kconfig(text: str) -> str:
    anchor = "config SAMPLE_RUST_PRINT"
    return text.replace(anchor, KCONFIG.lstrip("\n") + "\n" + anchor, 1)


def _add_makefile(text: str) -> str:
    line = "obj-$(CONFIG_SAMPLE_RUST_MINIMAL)\t\t+= rust_minimal.o\n"
    return text.replace(line, line + "obj-$(CONFIG_SAMPLE_RUST_PILOT)\t\t\t+= rust_pilot.o\n", 1)


PATCHES = [
    {"message": "samples: rust: add a pilot sample\n\n"
                "Add a small sample module that keeps a vector of numbers and prints\n"
                "them when it is unloaded, to show the allocation API.",
     "files": {"samples/rust/rust_pilot.rs": SAMPLE}},
    {"message": "samples: rust: pilot: add a sum helper\n\n"
                "Add a helper that sums the first two numbers of the sample.",
     "files": {"samples/rust/rust_pilot.rs": lambda text: text + SUM}},
    {"message": "samples: rust: pilot: hook the sample into Kconfig\n\n"
                "Let the pilot sample be built like the other Rust samples.",
     "files": {"samples/rust/Kconfig": _add_kconfig, "samples/rust/Makefile": _add_makefile}},
]

COVER = """\
samples: rust: add a pilot sample

This series adds a small Rust sample module that shows how to keep a
vector of numbers with the kernel allocation API, then hooks it into
Kconfig like the other samples.
"""

PHY_PATCHES = [
    {"message": "net: phy: ax88796b_rust: fix the link to the C driver\n\n"
                "The module documentation links to the C version of the driver with a\n"
                "relative path; use a srctree link as the Rust guidelines ask.",
     "files": {"drivers/net/phy/ax88796b_rust.rs": lambda text: text.replace(
         "[`drivers/net/phy/ax88796b.c`](./ax88796b.c)",
         "[`drivers/net/phy/ax88796b.c`](srctree/drivers/net/phy/ax88796b.c)")}},
]

PHY_COVER = """\
net: phy: ax88796b_rust: documentation fix

One documentation fix for the Rust Asix PHY driver.
"""
