pub mod emulator;
pub mod harness;
pub mod story;
