pub mod harness;
pub mod story;
