//! The agent work loop.
