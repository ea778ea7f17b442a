//! Organizations as a whole: their archives (export, import, transfers).

pub mod archive;
