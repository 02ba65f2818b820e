//! Generates the rlq parser from grammar/rlq.lalrpop into OUT_DIR, and
//! copies the README's Rust examples there for the doc tests.
fn main() {
    readme_examples();
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .emit_rerun_directives(true)
        .process()
        .expect("grammar/rlq.lalrpop must compile");
}

/// Writes the README's ```rust blocks to OUT_DIR/readme_rust.md, where
/// `lib.rs` includes them as doc tests.
fn readme_examples() {
    println!("cargo:rerun-if-changed=README.md");
    let readme = std::fs::read_to_string("README.md").expect("README.md is readable");
    let mut out = String::new();
    let mut inside = false;
    for line in readme.lines() {
        if !inside && line.starts_with("```rust") {
            inside = true;
        } else if inside && line.starts_with("```") {
            inside = false;
            out.push_str("```\n\n");
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{dir}/readme_rust.md"), out).expect("OUT_DIR is writable");
}
