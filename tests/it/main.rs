//! One integration-test binary; each module is one concern.

mod subcalls;
