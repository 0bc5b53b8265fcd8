//! Storage conformance suite (being written).
